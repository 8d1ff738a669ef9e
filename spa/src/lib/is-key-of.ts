/**
 * Whether `value` is one of `record`'s own keys: narrows a value the server sent untyped
 * (an event's data, a 409's body) to the enum a label record is keyed by.
 */
export function isKeyOf<K extends string>(record: Readonly<Record<K, unknown>>, value: unknown): value is K {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(record, value);
}
