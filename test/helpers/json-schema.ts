// A small JSON Schema validator for the keywords schema/flow.schema.json uses: type, enum, pattern, minimum,
// maximum, properties, required, additionalProperties: false, items and local $ref. It returns the problems
// found as "path: message" strings, none when the value is valid.

type Schema = { [key: string]: unknown };

export function validate(root: Schema, value: unknown): string[] {
  const problems: string[] = [];
  const resolve = (s: Schema): Schema => {
    let cur = s;
    while (typeof cur.$ref === 'string') {
      const ref = cur.$ref;
      if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
      cur = ref
        .slice(2)
        .split('/')
        .reduce<Schema>((o, k) => o[k] as Schema, root);
    }
    return cur;
  };
  const typeOk = (t: string, v: unknown): boolean => {
    switch (t) {
      case 'object':
        return typeof v === 'object' && v !== null && !Array.isArray(v);
      case 'array':
        return Array.isArray(v);
      case 'integer':
        return Number.isInteger(v);
      case 'number':
        return typeof v === 'number';
      default:
        return typeof v === t;
    }
  };
  const walk = (schemaIn: Schema, v: unknown, path: string): void => {
    const s = resolve(schemaIn);
    for (const key of Object.keys(s)) {
      if (
        ![
          'type',
          'enum',
          'pattern',
          'minimum',
          'maximum',
          'properties',
          'required',
          'additionalProperties',
          'items',
          'description',
          'title',
          '$schema',
          '$id',
          '$defs',
          '$ref',
        ].includes(key)
      ) {
        throw new Error(`unsupported keyword ${key}`);
      }
    }
    if (typeof s.type === 'string' && !typeOk(s.type, v)) {
      problems.push(`${path}: expected ${s.type}, got ${JSON.stringify(v)}`);
      return;
    }
    if (Array.isArray(s.enum) && !s.enum.includes(v)) problems.push(`${path}: ${JSON.stringify(v)} not in enum`);
    if (typeof s.pattern === 'string' && typeof v === 'string' && !new RegExp(s.pattern, 'u').test(v)) {
      problems.push(`${path}: ${JSON.stringify(v)} does not match ${s.pattern}`);
    }
    if (typeof s.minimum === 'number' && typeof v === 'number' && v < s.minimum) problems.push(`${path}: below minimum`);
    if (typeof s.maximum === 'number' && typeof v === 'number' && v > s.maximum) problems.push(`${path}: above maximum`);
    if (typeOk('object', v)) {
      const o = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const r of (s.required ?? []) as string[]) if (!(r in o)) problems.push(`${path}: missing ${r}`);
      for (const [k, val] of Object.entries(o)) {
        if (props[k]) walk(props[k], val, `${path}.${k}`);
        else if (s.additionalProperties === false) problems.push(`${path}: unexpected key ${k}`);
      }
    }
    if (Array.isArray(v) && s.items)
      v.forEach((item, i) => {
        walk(s.items as Schema, item, `${path}[${i}]`);
      });
  };
  walk(root, value, '$');
  return problems;
}

/** True when the object's keys appear in the order the schema's properties list them. */
export function keysInSchemaOrder(root: Schema, value: Record<string, unknown>, at: Schema = root): boolean {
  const order = Object.keys((at.properties ?? {}) as object);
  const idx = Object.keys(value).map((k) => order.indexOf(k));
  return idx.every((n, i) => n >= 0 && (i === 0 || n > idx[i - 1]));
}
