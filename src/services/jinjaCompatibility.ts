/**
 * Brings @huggingface/jinja closer to Jinja2 (what the templates are written for, and what llama.cpp's engine
 * follows) where real chat templates need it. Written as a minimal patch of the library's interpreter, to be
 * offered upstream; each change has a test in test/unit/services/jinjaCompatibility.test.ts:
 * - iterating an undefined value iterates nothing (Jinja2's Undefined is an empty iterable): Hermes 2 Pro and
 *   Hermes 3 loop over `tools` when none are offered;
 * - string filters on an undefined value see "" (`description | trim`), and `selectattr`/`rejectattr`/`map`
 *   on none or undefined see an empty list;
 * - dict literals may have integer and boolean keys, kept with their type by items(), keys() and dictsort
 *   (Seed-OSS's `{0: ..., 512: ...} | dictsort`);
 * - lists have Python's `append`, `pop`, `insert` and `extend` (Kimi K2 queues tool call ids with them);
 * - the `reject` and `select` filters with a test (Llama 3.1's `builtin_tools | reject('equalto', ...)`),
 *   `min` and `max` on lists (MiniCPM), and `string` of a dict or list (Apriel).
 * Importing this module applies the patch once.
 */
import { Environment, Interpreter } from "@huggingface/jinja";

type Value = { type: string; value: unknown };
type Node = { type: string; [key: string]: unknown };
type ValueClass = new (value: unknown) => Value;
type PatchedInterpreter = {
    evaluate(node: Node | undefined, environment: Environment): Value;
    evaluateFor(node: Node, environment: Environment): Value;
    applyFilter(operand: Value, filter: Node, environment: Environment): Value;
    evaluateArguments(args: Node[], environment: Environment): [Value[], Map<string, Value>];
};

const probe = new Interpreter(new Environment()) as unknown as PatchedInterpreter;
const environment = new Environment();
/** instanceof without narrowing: the classes share one structural type here. */
const is = (value: unknown, kind: ValueClass): boolean => value instanceof kind;
const classOf = (node: Node | undefined) => probe.evaluate(node, environment).constructor as ValueClass;
const UndefinedValue = classOf(undefined);
const StringValue = classOf({ type: "StringLiteral", value: "" });
const ArrayValue = classOf({ type: "ArrayLiteral", value: [] });
const ObjectValue = classOf({ type: "ObjectLiteral", value: new Map() });

const stringFilters = new Set(["trim", "length", "count", "string", "lower", "upper", "title", "capitalize", "replace", "join", "first", "last", "wordcount", "indent"]);
const listFilters = new Set(["selectattr", "rejectattr", "map", "select", "reject", "unique", "sort", "list"]);

const filterName = (filter: Node) => (filter.type === "Identifier" ? filter["value"] as string
    : filter.type === "CallExpression" && (filter["callee"] as Node).type === "Identifier" ? (filter["callee"] as Node)["value"] as string : null);

const isEmpty = (value: Value) => is(value, UndefinedValue) || value.type === "NullValue";

/** Python's repr-free str() of a value, as JSON (close enough for the templates that print tools with it). */
function plain(value: Value): unknown {
    if (is(value, ArrayValue)) return (value.value as Value[]).map(plain);
    if (is(value, ObjectValue)) return Object.fromEntries([...(value.value as Map<string, Value>)].map(([key, item]) => [key, plain(item)]));
    return value.value;
}

function passesTest(item: Value, test: string, operand: Value | undefined): boolean {
    switch (test) {
        case "equalto": case "eq": case "==": case "sameas": return item.value === operand?.value;
        case "ne": case "!=": return item.value !== operand?.value;
        case "none": return item.type === "NullValue";
        case "defined": return !(is(item, UndefinedValue));
        case "undefined": return is(item, UndefinedValue);
        case "string": return is(item, StringValue);
        default: throw new Error(`Unknown test for select/reject: ${test}`);
    }
}

/** Dict literals' keys with their own types, for items(), keys() and dictsort. */
const typedKeys = new WeakMap<object, Map<string, Value>>();

const FunctionValue = (new StringValue("") as Value & { builtins: Map<string, Value> }).builtins.get("upper")!.constructor as ValueClass;
/** `{}.get("missing")` is none. */
const NullValue = ((new ObjectValue(new Map()) as Value & { builtins: Map<string, Value> }).builtins.get("get")!.value as (args: Value[]) => Value)(
    [new StringValue("missing")]).constructor as ValueClass;

const arrayPrototype = ArrayValue.prototype as unknown as { lenientJinja?: boolean };
if (!arrayPrototype.lenientJinja) {
    arrayPrototype.lenientJinja = true;
    const original = Object.getOwnPropertyDescriptor(ArrayValue.prototype, "builtins")!.get!;
    Object.defineProperty(ArrayValue.prototype, "builtins", {
        get(this: Value & { _builtins?: Map<string, Value> }) {
            this._builtins = undefined;
            const builtins = new Map(original.call(this) as Map<string, Value>);
            const items = this.value as Value[];
            const index = (value: Value | undefined, fallback: number) => (value === undefined ? fallback : Number(value.value));
            builtins.set("append", new FunctionValue(([item]: Value[]) => { items.push(item!); return new NullValue(undefined); }));
            builtins.set("extend", new FunctionValue(([more]: Value[]) => { items.push(...(more!.value as Value[])); return new NullValue(undefined); }));
            builtins.set("insert", new FunctionValue(([at, item]: Value[]) => { items.splice(index(at, 0), 0, item!); return new NullValue(undefined); }));
            builtins.set("pop", new FunctionValue(([at]: Value[]) => {
                if (items.length === 0) throw new Error("pop from empty list");
                const position = index(at, items.length - 1);
                return items.splice(position < 0 ? items.length + position : position, 1)[0]!;
            }));
            return builtins;
        }
    });
}

const prototype = Interpreter.prototype as unknown as PatchedInterpreter & { lenientJinja?: boolean };
if (!prototype.lenientJinja) {
    prototype.lenientJinja = true;
    const { evaluate, evaluateFor, applyFilter } = prototype;

    prototype.evaluateFor = function (this: PatchedInterpreter, node, scope) {
        const iterableNode = (node["iterable"] as Node).type === "SelectExpression" ? (node["iterable"] as Node)["lhs"] as Node : node["iterable"] as Node;
        if (this.evaluate(iterableNode, new Environment(scope)) instanceof UndefinedValue) {
            return evaluateFor.call(this, { ...node, iterable: { type: "ArrayLiteral", value: [] } }, scope);
        }
        return evaluateFor.call(this, node, scope);
    };

    prototype.applyFilter = function (this: PatchedInterpreter, operand, filter, scope) {
        const name = filterName(filter);
        if (name !== null && isEmpty(operand)) {
            if (listFilters.has(name)) return new ArrayValue([]);
            if (stringFilters.has(name) && is(operand, UndefinedValue)) return applyFilter.call(this, new StringValue(""), filter, scope);
        }
        if (is(operand, ArrayValue) && (name === "min" || name === "max")) {
            const items = operand.value as Value[];
            if (items.length === 0) return new UndefinedValue(undefined);
            return items.reduce((best, item) => ((name === "min" ? (item.value as number) < (best.value as number) : (item.value as number) > (best.value as number)) ? item : best));
        }
        const keys = typedKeys.get(operand);
        if (name === "dictsort" && keys !== undefined && filter.type === "Identifier") {
            const pairs = [...(operand.value as Map<string, Value>)].map(([key, value]) => [keys.get(key)!, value] as const);
            pairs.sort(([a], [b]) => (typeof a.value === "number" && typeof b.value === "number" ? a.value - b.value : String(a.value).localeCompare(String(b.value))));
            return new ArrayValue(pairs.map((pair) => new ArrayValue([...pair])));
        }
        if (name === "string" && (is(operand, ArrayValue) || is(operand, ObjectValue))) return new StringValue(JSON.stringify(plain(operand)));
        if ((name === "reject" || name === "select") && is(operand, ArrayValue) && filter.type === "CallExpression") {
            const [args] = this.evaluateArguments(filter["args"] as Node[], scope);
            const test = args[0]?.value;
            if (typeof test !== "string") throw new Error(`${name} needs the name of a test`);
            const keep = (item: Value) => passesTest(item, test, args[1]) === (name === "select");
            return new ArrayValue((operand.value as Value[]).filter(keep));
        }
        return applyFilter.call(this, operand, filter, scope);
    };

    prototype.evaluate = function (this: PatchedInterpreter, node, scope) {
        if (node?.type === "ObjectLiteral") {
            const entries = node["value"] as Map<Node, Node>;
            const mapping = new Map<string, Value>();
            const keys = new Map<string, Value>();
            for (const [key, value] of entries) {
                const evaluatedKey = this.evaluate(key, scope);
                const name = is(evaluatedKey, StringValue) ? evaluatedKey.value as string : String(evaluatedKey.value);
                mapping.set(name, this.evaluate(value, scope));
                keys.set(name, evaluatedKey);
            }
            const object = new ObjectValue(mapping) as Value & { items(): Value; keys(): Value };
            // items() and keys() give the keys back with their own type (integers stay integers).
            object.items = () => new ArrayValue([...mapping].map(([name, value]) => new ArrayValue([keys.get(name)!, value])));
            object.keys = () => new ArrayValue([...keys.values()]);
            typedKeys.set(object, keys);
            return object;
        }
        return evaluate.call(this, node, scope);
    };
}
