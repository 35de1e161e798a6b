// Preloaded (node -r) before a JavaScript or TypeScript test harness and the program it tests.
//
// The harness passes only if it ran to its end and then the process did: the runner sends, on
// fd 3, the test's token and two names it gave this job (languages.build_javascript). The
// harness's last statement calls the first (so a program that returns early, or an assertion
// that throws, leaves it uncalled); the harness's `require` calls were renamed to the second,
// so a program that declares its own `require` can't hand the harness a fake `assert`. The
// token is written to fd 4 when Node is about to exit because nothing is left to run
// ('beforeExit', which process.exit() skips), and only if the harness finished, no
// console.assert failed and nothing swallows uncaught errors. So process.exit(0) from the code
// under test, a printed success line, an uncaught exception or a killed harness never passes.
// node:assert is frozen before the program loads, so a program cannot replace its functions.
'use strict';
const fs = require('fs');

const [token, finishedName, requireName] = fs.readFileSync(3).toString().split('\n');
fs.closeSync(3);
let finished = false;
for (const [name, value] of [[finishedName, () => { finished = true; }], [requireName, require]]) {
  Object.defineProperty(globalThis, name, { value, enumerable: false, writable: false, configurable: false });
}
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
const swallowsErrors = () =>
  process.listenerCount('uncaughtException') > 0 ||
  process.listenerCount('unhandledRejection') > 0 ||
  process.hasUncaughtExceptionCaptureCallback();
process.on('beforeExit', () => {
  if (reported || !finished || consoleAssertFailed || process.exitCode || swallowsErrors()) return;
  reported = true;
  fs.writeSync(4, token);
  fs.closeSync(4);
});
