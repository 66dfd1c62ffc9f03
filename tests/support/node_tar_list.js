// What npm's tar (node-tar, as pacote uses it) reads from tarballs: every entry it parses, with its content hash.
//   node node_tar_list.js list <node-tar dir> <tarball>...          -> one JSON line per tarball:
//                                                                       {entries, ignored, warnings, error}
//   node node_tar_list.js pack <node-tar dir> (<dir> <out.tgz>)...  -> gzipped tarballs under package/, as npm pack
// Local files only; nothing is extracted or executed.
'use strict'
const crypto = require('crypto')
const fs = require('fs')

const [mode, tarDir, ...args] = process.argv.slice(2)
const tar = require(tarDir)

function list (file) {
  return new Promise(resolve => {
    const out = { entries: [], ignored: [], warnings: [], error: null }
    let done = false
    const finish = () => { if (!done) { done = true; resolve(out) } }
    const parser = new tar.Parser({
      onwarn: (code, message) => out.warnings.push(`${code}: ${(message && message.message) || message}`),
    })
    parser.on('entry', entry => {
      const hash = crypto.createHash('sha256')
      let size = 0
      entry.on('data', chunk => { hash.update(chunk); size += chunk.length })
      entry.on('end', () => out.entries.push({
        path: entry.path, type: entry.type, size, sha256: hash.digest('hex'), linkpath: entry.linkpath || null,
      }))
    })
    parser.on('ignoredEntry', entry => out.ignored.push({ path: entry.path, type: entry.type }))
    parser.on('error', error => { out.error = String((error && error.message) || error) })
    parser.on('close', finish)
    parser.on('abort', () => setImmediate(finish))
    const input = fs.createReadStream(file)
    input.on('error', error => { out.error = String(error.message); finish() })
    input.pipe(parser)
  })
}

async function main () {
  if (mode === 'pack') {
    for (let i = 0; i + 1 < args.length; i += 2) {
      const [dir, out] = [args[i], args[i + 1]]
      const files = fs.readdirSync(dir, { recursive: true }).filter(f => fs.statSync(`${dir}/${f}`).isFile()).sort()
      tar.c({ gzip: true, file: out, cwd: dir, prefix: 'package/', portable: true, sync: true }, files)
    }
  } else if (mode === 'list') {
    for (const file of args) {
      process.stdout.write(JSON.stringify(await list(file)) + '\n')
    }
  } else {
    process.stderr.write('usage: node_tar_list.js list <tar-dir> <tarball>... | pack <tar-dir> (<dir> <out>)...\n')
    process.exit(2)
  }
}

main()
