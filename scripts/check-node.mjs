// Plain JavaScript on purpose: it must run on any Node to say, in one line, what to do on an old one.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Steward needs Node.js 24 (found ${process.version}). Run \`. scripts/use-node24.sh\` in this shell, then retry.`,
  );
  process.exit(1);
}
