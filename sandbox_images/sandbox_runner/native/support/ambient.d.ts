// What TypeScript programs and harnesses get beside the ES2023 library and Node.js's own types
// (@types/node, the runtime's major version: `Buffer`, `process`, `require`...): any module
// name that Node's types do not declare is untyped, as it was before those types were there.
declare module "*";
