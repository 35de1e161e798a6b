// Preloaded (node -r) before a JavaScript or TypeScript test harness and the program it tests.
//
// A harness test passes only if the harness's own code ran to its end with the real asserts and
// left nothing it started unfinished. Before any code of the program's runs, the runner has
// written on fd 3: the test's token, the name of the start function below (START), the harness
// function's parameters and the built-in modules it requires (languages.node_harness). The
// program's file ends with (js_harness.py)
//
//   START(async function (require, console, JSON) { { <the harness> } });
//
// and the token is written to fd 4 as the process exits with code 0, only if:
// - START was handed exactly that function: its source text is the one that closes the main
//   file (read here, before the program runs). A program that calls START itself (the name is
//   on globalThis) can only run the real harness again, and the names in it can only mean the
//   program's own functions: `require` (built-in modules taken and frozen here, never through
//   the module loader a program can patch: Module._load, require.cache...) and each real
//   built-in it names (`console`, `JSON`, `Promise`, `setTimeout`...) are its parameters;
// - every run of it settled normally (awaited here through the real Promise machinery, so a
//   failed assertion anywhere in it, sync or async, fails the test) and no promise created
//   since it started is still pending (one that never settles, awaited or not, is);
// - no error went uncaught, even one a program's 'uncaughtException' or 'unhandledRejection'
//   listener or capture callback swallowed (process.emit is this script's and sees each);
// - no console.assert failed, no non-zero process.exitCode was seen, and no timer is still due.
// process.reallyExit() or a killed process skip it all (no token). What a program could use to
// undo these checks is locked before it runs: process.emit, exit, reallyExit and nextTick;
// Promise and its prototype, JSON, Math, Reflect and the timers' prototypes are frozen, and so
// are the modules the harness requires (node:assert); console.assert can't be replaced; promise
// hooks never hand a program a promise (they could mark the harness's rejections handled); heap
// snapshots and V8 flags are refused; and node runs with --permission (languages.py: no
// inspector, addons, child processes, workers or WASI; no /proc/self/mem). What this script uses
// once the program runs was all taken before it did.
'use strict';

const fs = require('fs');
const { inspect, types } = require('util');
const v8 = require('v8');
const asyncHooks = require('async_hooks');
const Module = require('module');

const { readFileSync, writeSync, closeSync } = fs;
const ReflectApply = Reflect.apply;
const { defineProperty, freeze, getOwnPropertyDescriptor, getPrototypeOf, hasOwn } = Object;
const uncurry = (fn) => Function.prototype.call.bind(fn);
const FunctionToString = uncurry(Function.prototype.toString);
const PromiseThen = uncurry(Promise.prototype.then);
const WeakSetAdd = uncurry(WeakSet.prototype.add);
const WeakSetHas = uncurry(WeakSet.prototype.has);
const WeakSetDelete = uncurry(WeakSet.prototype.delete);
const { isPromise } = types;
const ErrorConstructor = Error;
const proc = process; // globalThis.process is the program's to replace
const mainPath = proc.argv[1];
const { getBuiltinModule, reallyExit, emit: originalEmit, getActiveResourcesInfo: activeResources } = proc;
const { onInit, onSettled } = v8.promiseHooks;
const { createHook, executionAsyncResource } = asyncHooks;

const [token, start, paramList, moduleList] = readFileSync(3, 'latin1').split('\n');
closeSync(3);

// --- the harness function the main file ends with ----------------------------------------
const mainFile = readFileSync(mainPath, 'utf8');
const opening = mainFile.lastIndexOf(`${start}(`);
const closing = mainFile.lastIndexOf(')');
const expected = opening < 0 || closing < opening ? null : mainFile.slice(opening + start.length + 1, closing);

// --- what the harness gets: built-in modules (frozen), the main module, the real globals ----
const modules = { __proto__: null };
const freezeModule = (exported) => {
  freeze(exported);
  for (const key of Reflect.ownKeys(exported)) {
    const { value } = getOwnPropertyDescriptor(exported, key);
    if ((typeof value === 'function' || typeof value === 'object') && value !== null) freeze(value);
  }
};
for (const id of moduleList ? moduleList.split(',') : []) {
  const exported = getBuiltinModule(id);
  if (exported === undefined) continue;
  freezeModule(exported);
  modules[id] = exported;
}
let mainModule; // `require.main` and `module` in the harness
const compile = Module.prototype._compile;
Module.prototype._compile = function _compile(content, filename) {
  if (mainModule === undefined && filename === mainPath) mainModule = this;
  return ReflectApply(compile, this, arguments);
};
function harnessRequire(id) {
  const found = modules[id] ?? getBuiltinModule(id);
  if (found === undefined) throw new ErrorConstructor(`the tests may require only Node's built-in modules, not '${id}'`);
  return found;
}
defineProperty(harnessRequire, 'main', { get: () => mainModule, enumerable: true });
const params = paramList.split(',');
const args = [harnessRequire];
for (const name of params.slice(1)) {
  if (name === 'module') {
    args.push(undefined); // the main module, known once it loads
    continue;
  }
  const found = getOwnPropertyDescriptor(globalThis, name);
  args.push(found === undefined ? undefined : hasOwn(found, 'get') ? ReflectApply(found.get, globalThis, []) : found.value);
}
const moduleAt = params.indexOf('module');

// --- locked before the program runs ------------------------------------------------------
const refused = () => {
  throw new ErrorConstructor('not available to a program tested by a harness');
};
const lock = (target, name, value) => defineProperty(target, name, { value, writable: false, configurable: false });
let sawError = false;
let sawExitCode = false;
lock(proc, 'emit', function emit(type, code) {
  if (type === 'uncaughtExceptionMonitor' || type === 'unhandledRejection') sawError = true;
  const handled = ReflectApply(originalEmit, this, arguments);
  if (type === 'exit' && this === proc) decide(code); // after every other 'exit' listener
  return handled;
});
for (const name of ['exit', 'reallyExit', 'nextTick']) lock(proc, name, proc[name]);
for (const namespace of [Promise.prototype, Promise, JSON, Math, Reflect]) freeze(namespace);
const timeout = setTimeout(() => {}, 0);
clearTimeout(timeout);
freeze(getPrototypeOf(timeout));
const immediate = setImmediate(() => {});
clearImmediate(immediate);
freeze(getPrototypeOf(immediate));
for (const name of ['getHeapSnapshot', 'writeHeapSnapshot', 'setFlagsFromString', 'setHeapSnapshotNearHeapLimit']) {
  lock(v8, name, refused);
}
lock(v8, 'promiseHooks', freeze({ onInit: refused, onSettled: refused, onBefore: refused, onAfter: refused, createHook: refused }));
// async hooks stay (node:test uses them) but never hand out a promise
const noPromise = (resource) => (isPromise(resource) ? {} : resource);
lock(asyncHooks, 'createHook', function createHookWithoutPromises(callbacks) {
  const { init } = callbacks;
  const hooks = { __proto__: null, ...callbacks };
  if (typeof init === 'function') {
    hooks.init = function (asyncId, type, triggerAsyncId, resource) {
      return ReflectApply(init, this, [asyncId, type, triggerAsyncId, noPromise(resource)]);
    };
  }
  return ReflectApply(createHook, asyncHooks, [hooks]);
});
lock(asyncHooks, 'executionAsyncResource', () => noPromise(executionAsyncResource()));

let consoleAssertFailed = false;
const originalAssert = console.assert;
lock(console, 'assert', function assert(condition) {
  if (!condition) consoleAssertFailed = true;
  return ReflectApply(originalAssert, console, arguments);
});

// --- running the harness -------------------------------------------------------------------
let runs = 0;
let finished = 0;
let reported = false;
let pending = 0;
let tracking = false;
const tracked = new WeakSet();

function fail(why) {
  try {
    writeSync(2, `${why}\n`);
  } finally {
    ReflectApply(reallyExit, proc, [1]);
  }
}

function report(error) {
  try {
    return inspect(error);
  } catch {
    return 'the test harness threw an error that cannot be shown';
  }
}

function track() {
  tracking = true;
  onInit((promise) => {
    WeakSetAdd(tracked, promise);
    pending++;
  });
  onSettled((promise) => {
    if (WeakSetHas(tracked, promise)) {
      WeakSetDelete(tracked, promise);
      pending--;
    }
    if (proc.exitCode) sawExitCode = true;
  });
}

function startHarness(body) {
  if (expected === null || typeof body !== 'function' || FunctionToString(body) !== expected) {
    fail('the test harness was replaced before it ran');
  }
  if (!tracking) track();
  if (moduleAt > 0) args[moduleAt] = mainModule;
  runs++;
  PromiseThen(
    ReflectApply(body, undefined, args),
    () => {
      finished++;
    },
    (error) => fail(report(error)),
  );
}
lock(globalThis, start, startHarness);

// The verdict, once the process is exiting (the event loop drained, or process.exit()) and
// every other 'exit' listener ran. An exit with a non-zero code (a failed assertion Node
// reports itself) gets no token; a clean exit gets one only if the harness finished.
function decide(code) {
  if (reported) return;
  reported = true;
  if (code || proc.exitCode || sawExitCode) return;
  if (runs === 0) fail('the test harness never ran (the program ended before it)');
  if (finished < runs || pending > 0) {
    fail('the test harness did not finish (the process exited during it, or a promise it started never settled)');
  }
  const active = activeResources();
  for (let i = 0; i < active.length; i++) {
    if (active[i] === 'Timeout' || active[i] === 'Immediate') fail('the process exited while timers were still due');
  }
  if (sawError) fail('an uncaught error was swallowed (the test harness may not have run)');
  if (consoleAssertFailed) fail('a console.assert failed');
  try {
    writeSync(4, token);
    closeSync(4);
  } catch {
    fail('the verdict could not be written');
  }
  ReflectApply(reallyExit, proc, [0]); // nothing runs after it (a program may emit 'exit' itself)
}
