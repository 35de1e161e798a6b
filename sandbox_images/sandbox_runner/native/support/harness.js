// Preloaded (node -r) before a JavaScript or TypeScript test harness and the program it tests.
//
// The harness passes only if the process ran to its natural end: the test's token arrives on
// fd 3 and is written to fd 4 when Node is about to exit because nothing is left to run
// ('beforeExit', which process.exit() skips), and only if no console.assert failed. So
// process.exit(0) from the code under test, a printed success line, an uncaught exception or a
// killed harness never passes. node:assert is frozen before the program loads, so a program
// cannot replace the assertions the harness calls.
'use strict';
const fs = require('fs');

const token = fs.readFileSync(3);
fs.closeSync(3);
const assert = require('assert');
for (const exported of [assert, assert.strict, require('assert/strict')]) {
  Object.freeze(exported);
}

let consoleAssertFailed = false;
const originalAssert = console.assert.bind(console);
Object.defineProperty(console, 'assert', {
  value: (condition, ...message) => {
    if (!condition) consoleAssertFailed = true;
    originalAssert(condition, ...message);
  },
  writable: false,
  configurable: false,
});

let reported = false;
process.on('beforeExit', () => {
  if (reported || consoleAssertFailed || process.exitCode) return;
  reported = true;
  fs.writeSync(4, token);
  fs.closeSync(4);
});
