// One process of the cross-process lock test: `rounds` read-increment-write steps of one journal
// record, each under the backend's lock (a lost update means two processes held it at once).
const [kind, where, scope, rounds] = process.argv.slice(2);
const NAME = "0123456789abcdef0123456789abcdef";
const backend =
  kind === "folder"
    ? await (await import("../../dist/state/folder.js")).openFolderBackend(where, () => undefined)
    : await (await import("../../dist/state/postgres/open.js")).openPostgresBackend({ url: where, scope, warn: () => undefined });
for (let i = 0; i < Number(rounds); i++) {
  await backend.lock.run(async () => {
    const n = (await backend.journal.read(NAME))?.n ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 1));
    await backend.journal.write(NAME, { n: n + 1 });
  });
}
await backend.close();
