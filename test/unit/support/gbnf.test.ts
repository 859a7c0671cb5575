import { execFileSync } from "node:child_process";
import { getLlama, LlamaLogLevel, type LlamaGrammar } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { gbnfMatches, parseGbnf, sampleGbnf } from "../../support/gbnf.js";
import { ensureLlamaCppSource } from "../../support/llamaCppSource.js";

/** A seeded PRNG (mulberry32), so sampled texts are the same on every run. */
function seeded(seed: number): () => number {
    return () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const json = String.raw`
root   ::= value
value  ::= object | array | string | number | ("true" | "false" | "null") ws

object ::=
  "{" ws (
            string ":" ws value
    ("," ws string ":" ws value)*
  )? "}" ws

array  ::=
  "[" ws (
            value
    ("," ws value)*
  )? "]" ws

string ::=
  "\"" (
    [^"\\\x7F\x00-\x1F] |
    "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
  )* "\"" ws

number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

# Optional space: by convention, applied in this grammar after literal chars when allowed
ws ::= | " " | "\n" [ \t]{0,20}
`;

interface Case {
    name: string;
    grammar: string;
    accept: string[];
    reject: string[];
}

/** Each grammar with texts in and out of its language; every verdict is also checked against llama.cpp below. */
const cases: Case[] = [
    { name: "literal", grammar: `root ::= "abc"`, accept: ["abc"], reject: ["", "ab", "abcd", "abd", "ABC"] },
    {
        name: "literal escapes",
        grammar: String.raw`root ::= "\x41\u00e9\U0001F600\t\n\r\\\"\[\]\-"`,
        accept: ["Aé😀\t\n\r\\\"[]-"],
        reject: ["Aé😀", "A\\x41"]
    },
    { name: "raw non-ASCII literal", grammar: `root ::= "中文😀"`, accept: ["中文😀"], reject: ["中文", "中文😀😀"] },
    { name: "any character is one code point", grammar: `root ::= . "!"`, accept: ["😀!", "é!", "\n!"], reject: ["!", "ab!", "😀😀!"] },
    { name: "empty literal", grammar: `root ::= "" "a" ""`, accept: ["a"], reject: ["", "aa"] },
    { name: "only the empty literal", grammar: `root ::= ""`, accept: [""], reject: ["a"] },
    { name: "empty literal as an alternative", grammar: `root ::= "a" ( "" | "b" )`, accept: ["a", "ab"], reject: ["b", "abb"] },
    { name: "class and range", grammar: `root ::= [a-z0-9_]+`, accept: ["abc_9", "z"], reject: ["", "A", "a b"] },
    { name: "dash at a class edge is literal", grammar: `root ::= [a-] [-z]`, accept: ["--", "az", "a-", "-z"], reject: ["bz", "ab"] },
    { name: "reversed range matches nothing", grammar: `root ::= [z-a] | "x"`, accept: ["x"], reject: ["a", "m", "z"] },
    { name: "negated class", grammar: String.raw`root ::= [^a-z\n]*`, accept: ["", "ABC 123 é😀", "\t"], reject: ["abc", "A\nB"] },
    {
        name: "escapes inside a class",
        grammar: String.raw`root ::= [\x41-\x43\u00e9\U0001F600\t\]\-\\\[]+`,
        accept: ["ABC", "é😀\t]-\\[", "C"],
        reject: ["D", "^", ""]
    },
    {
        name: "JSON string characters (negated class with escapes)",
        grammar: String.raw`root ::= [^"\\\x7F\x00-\x1F]*`,
        accept: ["hello é 中 😀", ""],
        reject: ["a\"b", "a\\", "\t", "\x7f", "\x00"]
    },
    { name: "non-BMP range", grammar: `root ::= [😀-😂]{2}`, accept: ["😀😂", "😁😁"], reject: ["😀", "😃😀", "😀😀😀"] },
    { name: "group, alternation and star", grammar: `root ::= "a" ( "b" | "c" "d" )* "e"`, accept: ["ae", "abe", "acdbe"], reject: ["ace", "ab", "abde"] },
    { name: "empty first alternative in a group", grammar: `root ::= ( | "a" ) "b"`, accept: ["b", "ab"], reject: ["aab", "a"] },
    { name: "body starting with |", grammar: `root ::= | "x" | "y" "z"`, accept: ["", "x", "yz"], reject: ["y", "xyz"] },
    {
        name: "rule references, names with digits and dashes",
        grammar: "root ::= item-1 ( \",\" item-1 )*\nitem-1 ::= [0-9]+ | word\nword ::= [a-z]+",
        accept: ["1,ab,22", "x"],
        reject: ["1,", ",", "1,A"]
    },
    { name: "star on a literal repeats the whole literal", grammar: `root ::= "ab"*`, accept: ["", "ab", "abab"], reject: ["a", "aba"] },
    { name: "plus and question mark", grammar: `root ::= "a"+ "b"?`, accept: ["a", "aab"], reject: ["", "b", "abb"] },
    { name: "{m} on a class", grammar: `root ::= [0-9]{3}`, accept: ["123"], reject: ["12", "1234"] },
    { name: "{m,} on any", grammar: `root ::= .{2,}`, accept: ["ab", "😀😀😀"], reject: ["a", ""] },
    { name: "{m,n} on a group", grammar: `root ::= ( "ab" | "c" ){2,3}`, accept: ["abc", "cabab", "cc", "ccc"], reject: ["c", "cccc", "abababab"] },
    { name: "{0,n} and ? on rule references", grammar: "root ::= x{0,2} \".\" x?\nx ::= \"x\"", accept: [".", "xx.x", "x."], reject: ["xxx.", ".xx"] },
    { name: "spaces inside braces", grammar: `root ::= "a"{ 1 , 2 }`, accept: ["a", "aa"], reject: ["", "aaa"] },
    { name: "{0} removes the item", grammar: `root ::= "a" "b"{0} "c"`, accept: ["ac"], reject: ["abc"] },
    { name: "stacked repetitions compose", grammar: `root ::= "a"{2}{3} "b"?{2}`, accept: ["aaaaaa", "aaaaaab", "aaaaaabb"], reject: ["aaaa", "aaaaaaa", "aaaaaabbb"] },
    { name: "star on a group that can be empty", grammar: `root ::= ( "a"? )* "b"`, accept: ["b", "aab"], reject: ["a", "bb"] },
    { name: "a later definition replaces an earlier one", grammar: "root ::= \"a\"\nroot ::= \"b\"", accept: ["b"], reject: ["a"] },
    {
        name: "layout: comments, newlines inside parentheses and after |",
        grammar: [
            "# leading comment",
            "",
            "root ::= (",
            "    \"a\" # inside",
            "    | \"b\"",
            "  ) tail |",
            "  \"c\"",
            "tail ::= \"!\"   # trailing",
            ""
        ].join("\n"),
        accept: ["a!", "b!", "c"],
        reject: ["a", "c!", "ab!"]
    },
    { name: "newline and comment right after ::=", grammar: "root ::= # why\n\t\"a\" 1x\n1x ::=\n  \"b\"", accept: ["ab"], reject: ["a", "b"] },
    { name: "empty classes are no item at all", grammar: `root ::= "a" [^] [] "b"`, accept: ["ab"], reject: ["a", "axb"] },
    { name: "a maximum over 2000 means none", grammar: `root ::= "a"{0,2001}`, accept: ["", "a".repeat(2500)], reject: ["b"] },
    {
        name: "rule limit counts a rule first named inside the group only there",
        grammar: "x ::= \"x\"\nroot ::= (x [a-z]{0,99}){0,20}",
        accept: ["", "xab", "xx"],
        reject: ["ab"]
    },
    { name: "CRLF line endings", grammar: "root ::= a a\r\na ::= \"x\"\r\n", accept: ["xx"], reject: ["x"] },
    {
        name: "ambiguous star before a class",
        grammar: `root ::= [a-z0-9-]* [a-z0-9]`,
        accept: ["a", "a-".repeat(150) + "b"],
        reject: ["", "a-".repeat(150), "-"]
    },
    {
        name: "bounded repetition of optional items",
        grammar: "root ::= item{0,16}\nitem ::= \"a\"? \"a\"?",
        accept: ["", "a".repeat(17), "a".repeat(32)],
        reject: ["a".repeat(33), "b"]
    },
    { name: "alternatives that overlap", grammar: `root ::= ( "a" | "a" "a" )* "b"`, accept: ["b", "a".repeat(40) + "b"], reject: ["a".repeat(300)] },
    {
        name: "right recursion",
        grammar: "root ::= \"(\" root \")\" | \"x\"",
        accept: ["x", "((x))", "(".repeat(100) + "x" + ")".repeat(100)],
        reject: ["(x", "()", "((x)"]
    },
    {
        name: "JSON",
        grammar: json,
        accept: ['{"a": [1, -2.5e3, true, null, {"b": "\\u00e9\\n"}], "c": {}}', "[]", '"x"', "-0"],
        reject: ["{", '{"a" 1}', "[1,]", '"\\x"', "01", '"a\nb"']
    }
];

describe("gbnfMatches", () => {
    it.each(cases)("$name", ({ grammar, accept, reject }) => {
        const parsed = parseGbnf(grammar);
        for (const text of accept) expect(gbnfMatches(parsed, text), JSON.stringify(text)).toBe(true);
        for (const text of reject) expect(gbnfMatches(parsed, text), JSON.stringify(text)).toBe(false);
    });

    it("stays fast on ambiguous and nested grammars", () => {
        const started = performance.now();
        expect(gbnfMatches("root ::= [a-z0-9-]* [a-z0-9]", "a-".repeat(400))).toBe(false);
        expect(gbnfMatches("root ::= (\"a\"? \"a\"?){0,16} \"b\"", "a".repeat(40))).toBe(false);
        const nested = "[".repeat(30) + '{"k": [1, 2, "x"]}' + "]".repeat(30);
        expect(gbnfMatches(json, nested)).toBe(true);
        expect(performance.now() - started).toBeLessThan(2000);
    });

    it("matches other rules than root, and names a missing one", () => {
        const grammar = parseGbnf("root ::= word \" \" word\nword ::= [a-z]+");
        expect(gbnfMatches(grammar, "hello", "word")).toBe(true);
        expect(() => gbnfMatches(grammar, "x", "nope")).toThrow(/no rule 'nope'/);
        expect(() => gbnfMatches("word ::= [a-z]+", "x")).toThrow(/no rule 'root'/);
    });
});

describe("sampleGbnf", () => {
    it.each(cases)("samples only texts of the language: $name", ({ grammar }) => {
        const parsed = parseGbnf(grammar);
        const random = seeded(1);
        for (let i = 0; i < 50; i++) {
            const text = sampleGbnf(parsed, random);
            expect(gbnfMatches(parsed, text), JSON.stringify(text)).toBe(true);
        }
    });

    it("samples nested JSON that parses and matches", () => {
        const grammar = parseGbnf(json);
        const random = seeded(42);
        let nested = 0;
        for (let i = 0; i < 200; i++) {
            const text = sampleGbnf(grammar, random);
            expect(() => JSON.parse(text), text).not.toThrow();
            expect(gbnfMatches(grammar, text), text).toBe(true);
            if (/[[{][^\]}]*[[{]/.test(text)) nested++;
        }
        expect(nested).toBeGreaterThan(5);
    });

    it("chooses alternatives uniformly and keeps repetition counts within min..min+maxRepeat and max", () => {
        const random = seeded(7);
        const counts = new Map<string, number>();
        for (let i = 0; i < 3000; i++) {
            const text = sampleGbnf(`root ::= "a" | "b" | "c"`, random);
            counts.set(text, (counts.get(text) ?? 0) + 1);
        }
        for (const letter of "abc") expect(Math.abs(counts.get(letter)! - 1000)).toBeLessThan(150);
        const lengths = new Set(Array.from({ length: 500 }, () => sampleGbnf(`root ::= "x"{2,}`, random, "root", { maxRepeat: 3 }).length));
        expect([...lengths].sort()).toEqual([2, 3, 4, 5]);
        const bounded = new Set(Array.from({ length: 500 }, () => sampleGbnf(`root ::= "x"{1,3}`, random, "root", { maxRepeat: 10 }).length));
        expect([...bounded].sort()).toEqual([1, 2, 3]);
    });

    it("samples class characters uniformly over code points, skipping surrogates", () => {
        const random = seeded(3);
        const seen = new Set(Array.from({ length: 600 }, () => sampleGbnf("root ::= [a-cx-z]", random)));
        expect([...seen].sort().join("")).toBe("abcxyz");
        const around = new Set(Array.from({ length: 200 }, () => sampleGbnf(String.raw`root ::= [\uD7FF-\uE000]`, random)));
        expect([...around].sort()).toEqual(["\uD7FF", "\uE000"]);
        expect(() => sampleGbnf(String.raw`root ::= [\uD800-\uDFFF]`, random)).toThrow(/cannot produce/);
    });

    it("samples negated classes from a universe that includes non-ASCII", () => {
        const random = seeded(5);
        const texts = Array.from({ length: 2000 }, () => sampleGbnf("root ::= [^a-z]", random));
        expect(texts.some((text) => /[a-z]/.test(text))).toBe(false);
        for (const expected of ["é", "中", "😀", "\n", "\t", "A", "~"]) expect(texts).toContain(expected);
    });

    it("takes the shallowest way out past maxDepth", () => {
        const grammar = "root ::= \"(\" root \")\" | \"x\"";
        expect(sampleGbnf(grammar, () => 0)).toBe("(".repeat(12) + "x" + ")".repeat(12));
        expect(sampleGbnf(grammar, () => 0, "root", { maxDepth: 3 })).toBe("(((x)))");
        // Always the most repetitions: 4 children per level until depth 3, then none.
        const tree = sampleGbnf(`root ::= "[" root* "]"`, () => 0.999, "root", { maxDepth: 3 });
        expect(tree.length).toBe(2 * (1 + 4 + 16 + 64));
        expect(gbnfMatches(`root ::= "[" root* "]"`, tree)).toBe(true);
    });

    it("never takes an alternative that cannot finish, and throws when none can", () => {
        const random = seeded(9);
        for (let i = 0; i < 20; i++) expect(sampleGbnf("root ::= x | \"y\"\nx ::= \"a\" x", random)).toBe("y");
        expect(() => sampleGbnf(`root ::= "a" root`, random)).toThrow(/cannot produce/);
    });
});

interface ErrorCase {
    grammar: string;
    message: RegExp;
    /** Whether llama.cpp rejects it too; it accepts token syntax, and runs out of memory on the others. */
    llama: boolean;
}

const errors: ErrorCase[] = [
    { grammar: "root ::= foo", message: /undefined rule 'foo'/, llama: true },
    { grammar: `root ::= ( "a"`, message: /expecting '\)'/, llama: true },
    { grammar: "root ::= (\n\"a\"\nb ::= \"c\" )", message: /expecting '\)'/, llama: true },
    { grammar: `root ::= "a" )`, message: /expecting newline or end/, llama: true },
    { grammar: `root ::= "a" ; "b"`, message: /expecting newline or end/, llama: true },
    { grammar: String.raw`root ::= "\q"`, message: /unknown escape/, llama: true },
    { grammar: String.raw`root ::= "\x4"`, message: /expecting 2 hex chars/, llama: true },
    { grammar: String.raw`root ::= [\u12]`, message: /expecting 4 hex chars/, llama: true },
    { grammar: String.raw`root ::= [\U0001F60]`, message: /expecting 8 hex chars/, llama: true },
    { grammar: `root = "a"`, message: /expecting ::=/, llama: true },
    { grammar: `root\n::= "a"`, message: /expecting ::=/, llama: true },
    { grammar: `root ::= "abc`, message: /unexpected end of input/, llama: true },
    { grammar: "root ::= [abc", message: /unexpected end of input/, llama: true },
    { grammar: `root ::= * "a"`, message: /expecting preceding item/, llama: true },
    { grammar: `root ::= "a" | + "b"`, message: /expecting preceding item/, llama: true },
    { grammar: `root ::= "a" "" *`, message: /expecting preceding item/, llama: true },
    { grammar: `root ::= "a"\n| "b"`, message: /expecting name/, llama: true },
    { grammar: `root ::= "a"{,3}`, message: /expecting an int/, llama: true },
    { grammar: `root ::= "a"{2`, message: /expecting ','/, llama: true },
    { grammar: `root ::= "a"{2,3`, message: /expecting '}'/, llama: true },
    { grammar: `root ::= "a"{2001}`, message: /exceeds 2000/, llama: true },
    { grammar: "root ::= ([a-z]{0,100}){0,30}", message: /over 2000 rules/, llama: true },
    { grammar: "root ::= (x [a-z]{0,99}){0,20}\nx ::= \"x\"", message: /over 2000 rules/, llama: true },
    { grammar: `root ::= "a"{0,2000}{2}`, message: /over 2000 rules/, llama: true },
    { grammar: `root ::= root "a" | "b"`, message: /left recursion \(llama.cpp's check\) in rule 'root'/, llama: true },
    { grammar: "root ::= x \"a\"\nx ::= \"\" | root", message: /left recursion/, llama: true },
    { grammar: `root ::= "a" "b"?*`, message: /left recursion \(llama.cpp's check\) in rule 'root'/, llama: true },
    // llama.cpp misses this one and then runs out of memory: never hand it to llama.cpp.
    { grammar: "root ::= x root \"a\" | \"b\"\nx ::= y\ny ::= \"\" | \"c\"", message: /left recursion: root -> root/, llama: false },
    { grammar: `root ::= "a"{3,2}`, message: /maximum below its minimum/, llama: false },
    { grammar: "root ::= <[12]>", message: /tokens/, llama: false }
];

describe("parseGbnf", () => {
    it.each(errors)("rejects $grammar", ({ grammar, message }) => {
        expect(() => parseGbnf(grammar)).toThrow(message);
    });

    it("says where the error is", () => {
        expect(() => parseGbnf("root ::= a\na ::= \"x\" \\")).toThrow(/at line 2, column 11/);
    });

    it("builds the expected tree", () => {
        expect(parseGbnf(String.raw`root ::= "a" [^b-c\n] x{1,} | .` + "\nx ::= \"x\"").rules.get("root")).toEqual({
            type: "alt",
            alternatives: [
                {
                    type: "seq",
                    items: [
                        { type: "chars", codePoints: [97] },
                        { type: "class", negated: true, ranges: [[98, 99], [10, 10]] },
                        { type: "repeat", item: { type: "ref", name: "x" }, min: 1, max: Infinity }
                    ]
                },
                { type: "any" }
            ]
        });
        expect(parseGbnf(`root ::= ("a")`).rules.get("root")).toEqual({
            type: "alt",
            alternatives: [{ type: "alt", alternatives: [{ type: "chars", codePoints: [97] }] }]
        });
    });
});

describe("agreement with llama.cpp's own parser and matcher", () => {
    const llama = () => getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.disabled });
    // isTextCompatible is node-llama-cpp's internal whole-text check, run by llama.cpp's grammar stacks.
    const verdict = (grammar: LlamaGrammar, text: string) => (grammar as unknown as { _testText(text: string): boolean })._testText(text);

    it("accepts, rejects and samples as llama.cpp does", async () => {
        const engine = await llama();
        const random = seeded(11);
        for (const { name, grammar, accept, reject } of cases) {
            const real = await engine.createGrammar({ grammar });
            const samples = Array.from({ length: 10 }, () => sampleGbnf(grammar, random));
            for (const text of [...accept, ...reject, ...samples]) {
                expect(verdict(real, text), `${name}: ${JSON.stringify(text)}`).toBe(gbnfMatches(grammar, text));
            }
        }
        for (const { grammar } of errors.filter((error) => error.llama)) {
            await expect(engine.createGrammar({ grammar }), grammar).rejects.toThrow();
        }
    });

    it("reads every grammar llama.cpp ships, and samples texts llama.cpp accepts", async () => {
        const repository = await ensureLlamaCppSource();
        const git = (...args: string[]) => execFileSync("git", ["--git-dir", repository, ...args], { encoding: "utf8" });
        const files = git("ls-tree", "--name-only", "HEAD", "grammars/").split("\n").filter((file) => file.endsWith(".gbnf"));
        expect(files.length).toBeGreaterThan(5);
        const engine = await llama();
        const random = seeded(13);
        for (const file of files) {
            const grammar = git("show", `HEAD:${file}`);
            const real = await engine.createGrammar({ grammar });
            for (let i = 0; i < 10; i++) {
                const text = sampleGbnf(grammar, random);
                expect(gbnfMatches(grammar, text), `${file}: ${JSON.stringify(text)}`).toBe(true);
                expect(verdict(real, text), `${file}: ${JSON.stringify(text)}`).toBe(true);
            }
        }
    });
});
