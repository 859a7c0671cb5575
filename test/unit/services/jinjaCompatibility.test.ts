import { Template } from "@huggingface/jinja";
import { describe, expect, it } from "vitest";
import "../../../src/services/jinjaCompatibility.js";

const render = (source: string, context: Record<string, unknown> = {}) => new Template(source).render(context);

describe("Jinja2 behaviour real chat templates rely on", () => {
    it("iterates an undefined value as an empty list, else-branch included", () => {
        expect(render("{% for tool in tools %}x{% else %}none{% endfor %}")).toBe("none");
    });

    it("gives string filters an empty string for an undefined value, and list filters an empty list for none", () => {
        expect(render("[{{ missing | trim }}][{{ missing | length }}]")).toBe("[][0]");
        expect(render("{{ tools | selectattr('type', 'equalto', 'code') | list | length }}", { tools: null })).toBe("0");
    });

    it("keeps integer dict keys as integers through dictsort and items()", () => {
        expect(render("{% for k, v in {1024: 'a', 0: 'b'} | dictsort %}{{ k + 1 }}{{ v }} {% endfor %}")).toBe("1b 1025a ");
        expect(render("{% for k, v in {2: 'x'}.items() %}{{ k * 2 }}{% endfor %}")).toBe("4");
    });

    it("has reject/select with a test, min and max of a list, and string of a dict", () => {
        expect(render("{{ tools | reject('equalto', 'code_interpreter') | join(', ') }}", { tools: ["brave_search", "code_interpreter", "wolfram"] }))
            .toBe("brave_search, wolfram");
        expect(render("{{ [3, 1, 2] | min }}{{ [3, 1, 2] | max }}")).toBe("13");
        expect(render("{{ {'a': 1} | string }}")).toBe("{\"a\":1}");
    });

    it("has Python's list append and pop", () => {
        expect(render("{% set ns = namespace(ids=[]) %}{% set _ = ns.ids.append('a') %}{% set _ = ns.ids.append('b') %}{{ ns.ids.pop(0) }}{{ ns.ids | length }}"))
            .toBe("a1");
    });
});
