// A warm TypeScript compiler: one per container, started by the runner on the first TypeScript
// job (native/compile_server.py) and kept for the next ones, so a compile costs the program's
// own checking instead of loading the compiler and parsing its libraries each time (~1 s).
//
//   node tsc_server.js TYPESCRIPT_MODULE AMBIENT_D_TS BUILD_DIR COMPILER_OPTIONS_JSON
//
// Requests on stdin, answers on stdout, both as lines with byte counts (no JSON to escape):
//   request: <files>\n then, per file, <name>\n<bytes>\n<content>
//   answer:  <0 or 1 (compiled)>\n<bytes>\n<diagnostics as tsc prints them>
// Each request writes its files into BUILD_DIR and type-checks and emits them as
// `tsc -p BUILD_DIR` would with the runner's options (languages.TSCONFIG). Only the libraries'
// parsed files are kept between requests (they are the compiler's own); a program's files are
// parsed afresh every time, so one job's source never reaches another's compile.
'use strict';
const fs = require('fs');
const path = require('path');

const [modulePath, ambient, buildDir, optionsJson] = process.argv.slice(2);
const ts = require(modulePath);

function readExactly(size) {
  const buffer = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const n = fs.readSync(0, buffer, got, size - got, null);
    if (n === 0) process.exit(0); // the runner closed the pipe
    got += n;
  }
  return buffer;
}

function readLine() {
  const bytes = [];
  for (;;) {
    const byte = readExactly(1)[0];
    if (byte === 10) return Buffer.from(bytes).toString('utf8');
    bytes.push(byte);
  }
}

function answer(ok, text) {
  const body = Buffer.from(text, 'utf8');
  fs.writeSync(1, `${ok ? 1 : 0}\n${body.length}\n`);
  fs.writeSync(1, body);
}

// A program's own `declare var require: any;` (MultiPL-E's TypeScript harnesses start with it)
// redeclares a global that Node's types already give a type: not an error here, as it is not
// where those types are absent. So this server emits by itself when no other error is left
// (the runner's options have noEmitOnError off for that).
const REDECLARED = 2403; // "Subsequent variable declarations must have the same type."
function loosened(d) {
  if (d.code !== REDECLARED || !d.file || !d.file.fileName.startsWith(buildDir + '/')) return false;
  return / but here has type 'any'\.$/.test(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const options = ts.convertCompilerOptionsFromJson(JSON.parse(optionsJson), buildDir).options;
const host = ts.createCompilerHost(options);
host.getCurrentDirectory = () => buildDir;
const readSource = host.getSourceFile.bind(host);
const libraries = new Map();
host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
  if (fileName.startsWith(buildDir + '/')) return readSource(fileName, languageVersion, onError, shouldCreate);
  if (!libraries.has(fileName)) libraries.set(fileName, readSource(fileName, languageVersion, onError, shouldCreate));
  return libraries.get(fileName);
};
const formatHost = {
  getCanonicalFileName: (name) => name,
  getCurrentDirectory: () => buildDir,
  getNewLine: () => '\n',
};

for (;;) {
  const count = Number(readLine());
  const roots = [];
  for (let i = 0; i < count; i++) {
    const name = readLine();
    const content = readExactly(Number(readLine()));
    const target = path.join(buildDir, name);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    fs.writeFileSync(target, content, { mode: 0o644 });
    if (name.endsWith('.ts')) roots.push(target);
  }
  const program = ts.createProgram([...roots, ambient], options, host);
  let diagnostics = ts.getPreEmitDiagnostics(program);
  if (!diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error && !loosened(d))) {
    diagnostics = diagnostics.concat(program.emit().diagnostics);
  }
  const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error && !loosened(d));
  answer(errors.length === 0, ts.formatDiagnostics(errors, formatHost));
}
