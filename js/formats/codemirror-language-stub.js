// The package reads HCL with codemirror-lang-hcl's Lezer parser, which that module wraps in
// CodeMirror's language support (indentation and folding for the editor). The package bundle
// maps `@codemirror/language` to this file, so the parser comes without the editor: these stand
// in for the few names the module uses, and only `LRLanguage.define(...).parser` is ever read.
const noProp = { add: () => () => null };
export const LRLanguage = { define: (spec) => ({ parser: spec.parser }) };
export class LanguageSupport {}
export const indentNodeProp = noProp;
export const foldNodeProp = noProp;
export const delimitedIndent = () => () => null;
export const foldInside = () => null;
