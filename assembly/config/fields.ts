// Typed reads of plugin-config JSON (json-as JSON.Value) that never throw: each returns the
// value or an error text naming the field by its full path (e.g. `_rules_[1].server.timeout`).
import { JSON } from "json-as";

/** Numeric value of a JSON.Value of any numeric type, or NaN. */
export function numberOf(v: JSON.Value): f64 {
  switch (v.type) {
    case JSON.Types.F64: return v.get<f64>();
    case JSON.Types.F32: return <f64>v.get<f32>();
    case JSON.Types.I8: return <f64>v.get<i8>();
    case JSON.Types.I16: return <f64>v.get<i16>();
    case JSON.Types.I32: return <f64>v.get<i32>();
    case JSON.Types.I64: return <f64>v.get<i64>();
    case JSON.Types.U8: return <f64>v.get<u8>();
    case JSON.Types.U16: return <f64>v.get<u16>();
    case JSON.Types.U32: return <f64>v.get<u32>();
    case JSON.Types.U64: return <f64>v.get<u64>();
    default: return NaN;
  }
}

/** True when `key` is absent or null. */
export function absent(obj: JSON.Obj, key: string): bool {
  const v = obj.get(key);
  return v === null || v.type == JSON.Types.Null;
}

/** A string field. */
export class Field {
  constructor(public present: bool, public value: string, public error: string) {}
}

/** Reads a string field; `required` makes absence an error. */
export function stringField(obj: JSON.Obj, key: string, path: string, required: bool): Field {
  const v = obj.get(key);
  if (v === null || v.type == JSON.Types.Null) return new Field(false, "", required ? path + " is required" : "");
  if (v.type != JSON.Types.String) return new Field(false, "", path + " must be a string");
  return new Field(true, v.get<string>(), "");
}

/** A string field that must be one of a fixed set: `index` into it, -1 (and "") when absent. */
export class ChoiceField {
  constructor(public index: i32, public value: string, public error: string) {}
}

/**
 * Reads a string field that must equal one of `choices` (listed in the order of the enum it
 * maps to, so `index` converts to it); any other value is an error that names them all.
 */
export function choiceField(obj: JSON.Obj, key: string, path: string, choices: string[], required: bool): ChoiceField {
  const f = stringField(obj, key, path, required);
  if (f.error.length > 0 || !f.present) return new ChoiceField(-1, "", f.error);
  const i = choices.indexOf(f.value);
  if (i >= 0) return new ChoiceField(i, f.value, "");
  let names = "";
  for (let j = 0; j < choices.length; j++) {
    if (j > 0) names += j == choices.length - 1 ? " or " : ", ";
    names += "\"" + choices[j] + "\"";
  }
  return new ChoiceField(-1, "", path + " must be " + names + " (got \"" + f.value + "\")");
}

/** A boolean field. */
export class BoolField {
  constructor(public value: bool, public error: string) {}
}

/** Reads an optional boolean field (absent = `dflt`). */
export function boolField(obj: JSON.Obj, key: string, path: string, dflt: bool): BoolField {
  const v = obj.get(key);
  if (v === null || v.type == JSON.Types.Null) return new BoolField(dflt, "");
  if (v.type != JSON.Types.Bool) return new BoolField(dflt, path + " must be a boolean");
  return new BoolField(v.get<bool>(), "");
}

/** An integer field. */
export class IntField {
  constructor(public present: bool, public value: i32, public error: string) {}
}

/** Reads an optional integer within [lo, hi]. */
export function intField(obj: JSON.Obj, key: string, path: string, lo: i32, hi: i32, unit: string): IntField {
  const v = obj.get(key);
  if (v === null || v.type == JSON.Types.Null) return new IntField(false, 0, "");
  const n = numberOf(v);
  if (isNaN(n) || n < <f64>lo || n > <f64>hi || n != Math.floor(n)) {
    return new IntField(false, 0, path + " must be an integer between " + lo.toString() + " and " + hi.toString() + unit);
  }
  return new IntField(true, <i32>n, "");
}

/** An array of strings. */
export class StringList {
  constructor(public list: string[] | null, public error: string) {}
}

/** Reads an optional array of strings (absent = null). */
export function stringList(obj: JSON.Obj, key: string, path: string): StringList {
  const v = obj.get(key);
  if (v === null || v.type == JSON.Types.Null) return new StringList(null, "");
  if (v.type != JSON.Types.Array) return new StringList(null, path + " must be an array of strings");
  const arr = v.get<JSON.Arr>();
  const out = new Array<string>();
  for (let i = 0; i < arr.length; i++) {
    const e = arr.at(i);
    if (e.type != JSON.Types.String) return new StringList(null, path + "[" + i.toString() + "] must be a string");
    out.push(e.get<string>());
  }
  return new StringList(out, "");
}

/** An object field. */
export class ObjField {
  constructor(public obj: JSON.Obj | null, public error: string) {}
}

/** Reads an optional object field (absent = null obj, no error). */
export function objField(obj: JSON.Obj, key: string, path: string): ObjField {
  const v = obj.get(key);
  if (v === null || v.type == JSON.Types.Null) return new ObjField(null, "");
  if (v.type != JSON.Types.Object) return new ObjField(null, path + " must be an object");
  return new ObjField(v.get<JSON.Obj>(), "");
}
