import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { writeFileAtomically, type AtomicWriteIo } from '../src/atomic-file.js';

/** node:fs, with each call written down: what it did and on which file. */
function recordingIo(failRename = false) {
  const calls: string[] = [];
  const names = new Map<number, string>();
  const io: AtomicWriteIo = {
    openSync: ((path: string, flags: string, mode?: number) => {
      const descriptor = fs.openSync(path, flags, mode);
      names.set(descriptor, path);
      calls.push(`open ${path}`);
      return descriptor;
    }) as typeof fs.openSync,
    writeSync: ((descriptor: number, text: string) => {
      calls.push(`write ${names.get(descriptor)}`);
      return fs.writeSync(descriptor, text);
    }) as typeof fs.writeSync,
    fsyncSync: (descriptor) => {
      calls.push(`fsync ${names.get(descriptor)}`);
      fs.fsyncSync(descriptor);
    },
    closeSync: (descriptor) => {
      calls.push(`close ${names.get(descriptor)}`);
      fs.closeSync(descriptor);
    },
    renameSync: (from, to) => {
      calls.push(`rename ${String(from)} ${String(to)}`);
      if (failRename) throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
      fs.renameSync(from, to);
    },
    rmSync: (path, options) => {
      calls.push(`rm ${String(path)}`);
      fs.rmSync(path, options);
    },
  };
  return { io, calls };
}

t.test('the data reaches the disk before the rename, and the rename before returning', async (t) => {
  const dir = t.testdir({ 'state.json': 'old\n' });
  const file = join(dir, 'state.json');
  const temporary = `${file}.${process.pid}.tmp`;
  const { io, calls } = recordingIo();
  writeFileAtomically(file, 'new\n', 0o600, io);
  t.same(calls, [
    `open ${temporary}`,
    `write ${temporary}`,
    `fsync ${temporary}`,
    `close ${temporary}`,
    `rename ${temporary} ${file}`,
    `open ${dir}`,
    `fsync ${dir}`,
    `close ${dir}`,
  ]);
  t.equal(readFileSync(file, 'utf8'), 'new\n');
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.same(readdirSync(dir), ['state.json'], 'no temporary file left');
});

t.test('a failed rename leaves the old file and no temporary one, and throws', async (t) => {
  const dir = t.testdir({ 'state.json': 'old\n' });
  const file = join(dir, 'state.json');
  const { io } = recordingIo(true);
  t.throws(() => writeFileAtomically(file, 'new\n', 0o600, io), /EXDEV/);
  t.equal(readFileSync(file, 'utf8'), 'old\n');
  t.same(readdirSync(dir), ['state.json']);
  t.throws(() => writeFileAtomically(join(dir, 'missing', 'state.json'), 'x'), /ENOENT/, 'the real fs: a missing directory throws');
});
