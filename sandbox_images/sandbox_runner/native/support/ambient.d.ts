// What TypeScript programs and harnesses may use of Node without its full type definitions:
// untyped, and compatible with MultiPL-E's own `declare var require: any;`.
declare var require: any;
declare var process: any;
declare var module: any;
declare var exports: any;
declare var Buffer: any;
declare var __dirname: string;
declare var __filename: string;
declare module "*";
