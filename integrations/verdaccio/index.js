'use strict';
// verdaccio-extgate: a Verdaccio 5 middleware plugin. Every publish (PUT /:package carrying a tarball) is sent to
// `extgate serve` (POST /v1/check-publish) before Verdaccio stores it:
//   passed                          -> Verdaccio's own handler runs (201); the verdict is stored beside the version
//   blocked / needs-acknowledgement -> 403 with a readable summary (rule ids, paths, how to fix)
//   extgate unreachable or erroring -> 503: the publish is refused (fail closed)
//
// config.yaml:
//   middlewares:
//     extgate:
//       url: http://127.0.0.1:8787
//       token_env: EXTGATE_TOKEN          # or token: ...
//       publishers: {alice: ['@acme']}    # registry user -> scopes vouched for (extgate --publisher)
//       acknowledge: {'@acme/tool': ['<fingerprint>'], '*': []}

const { checkPublish } = require('./lib/client');
const { refusal, record } = require('./lib/summary');

const DEFAULT_TIMEOUT_MS = 120000;

function parseSize(value, fallback) {
  if (typeof value === 'number') return value;
  const match = /^(\d+)\s*(b|kb?|mb?|gb?)?$/i.exec(String(value || '').trim());
  if (!match) return fallback;
  const unit = (match[2] || 'b').toLowerCase()[0];
  return Number(match[1]) * ({ b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit]);
}

// PUT /name, /@scope%2fname, /@scope/name, optionally /-rev/<rev>; never Verdaccio's own /-/ routes.
const PUBLISH_PATH = /^\/(@[^/]+(?:%2f|\/)[^/]+|[^/@-][^/]*)(?:\/-rev\/[^/]+)?\/?$/i;
// The pre-npm-5 two-step publish (PUT /:package/-/:file.tgz, then PUT /:package/:version/-tag/:tag) stores a
// tarball and a version separately, so neither request could be checked as a whole: it is refused.
const LEGACY_PUBLISH = /^\/(@[^/]+(?:%2f|\/)[^/]+|[^/@-][^/]*)\/(?:-\/[^/]|[^/]+\/-tag\/[^/]+)/i;

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        // stop buffering, drain the rest unread, answer 413
        req.removeAllListeners('data');
        req.resume();
        reject(Object.assign(new Error(`publish body over ${limit} bytes (max_body_size)`), { status: 413 }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function reply(res, status, message, headers = {}) {
  if (res.headersSent) return;
  res.status(status);
  for (const [key, value] of Object.entries(headers)) res.setHeader(key, value);
  res.json({ error: message });
}

class ExtgatePlugin {
  constructor(config, options) {
    const cfg = config || {};
    this.url = cfg.url || 'http://127.0.0.1:8787';
    this.token = cfg.token || process.env[cfg.token_env || 'EXTGATE_TOKEN'] || '';
    this.timeoutMs = Number(cfg.timeout_ms) || DEFAULT_TIMEOUT_MS;
    this.profile = cfg.profile || '';
    this.publishers = cfg.publishers || {};
    this.acknowledge = cfg.acknowledge || {};
    this.storeVerdict = cfg.store_verdict !== false;
    const appConfig = (options && options.config) || {};
    this.maxBody = parseSize(cfg.max_body_size || appConfig.max_body_size, 10 * 1024 * 1024);
    this.logger = (options && options.logger) || console;
  }

  register_middlewares(app, auth) {
    const identify = auth.apiJWTmiddleware(); // sets req.remote_user (Verdaccio's own route reuses it)
    app.use((req, res, next) => {
      if (req.method === 'PUT' && LEGACY_PUBLISH.test(req.path)) {
        return reply(res, 403, 'extgate: this legacy two-step publish API is not checked, so it is refused; publish with npm >= 5 (`npm publish`).');
      }
      if (req.method !== 'PUT' || !PUBLISH_PATH.test(req.path) || req._body) return next();
      readBody(req, this.maxBody)
        .then((raw) => {
          let doc;
          try {
            doc = JSON.parse(raw.toString('utf8'));
          } catch (err) {
            return reply(res, 400, `extgate: the publish body is not JSON (${err.message})`);
          }
          // hand the parsed body to Verdaccio: express.json() skips a request whose body is already read
          req.body = doc;
          req._body = true;
          const attachments = doc && typeof doc === 'object' ? doc._attachments : null;
          if (!attachments || typeof attachments !== 'object' || Object.keys(attachments).length === 0) {
            return next(); // not a publish (deprecate, dist-tag or unpublish rewrite): Verdaccio's ACL decides
          }
          const urlName = decodeURIComponent(PUBLISH_PATH.exec(req.path)[1].replace(/%2f/i, '/'));
          if (doc.name !== urlName) {
            return reply(res, 403, `extgate: the URL publishes ${urlName} but the document names ${String(doc.name).slice(0, 100)}; publish refused.`);
          }
          identify(req, res, () => {
            const versions = doc.versions && typeof doc.versions === 'object' ? Object.keys(doc.versions) : [];
            // someone Verdaccio will refuse anyway (anonymous, no publish right) costs the gate nothing
            auth.allow_publish({ packageName: urlName, packageVersion: versions[0] }, req.remote_user, (err, allowed) => {
              if (err || !allowed) return next();
              return this.gate(req, res, next, doc, raw);
            });
          });
        })
        .catch((err) => reply(res, err.status || 400, `extgate: ${err.message}`));
    });
  }

  params(doc, user) {
    const name = typeof doc.name === 'string' ? doc.name : '';
    const params = {
      publisher: [].concat((user && this.publishers[user]) || []),
      acknowledge: [].concat(this.acknowledge['*'] || [], this.acknowledge[name] || []),
    };
    if (this.profile) params.profile = [this.profile];
    // ask extgate for its verdict a little before we would give up waiting, so a slow check is a clear refusal
    params.timeout = [String(Math.max(1, Math.floor(this.timeoutMs / 1000) - 5))];
    return params;
  }

  gate(req, res, next, doc, raw) {
    const user = req.remote_user && req.remote_user.name;
    const versions = doc.versions && typeof doc.versions === 'object' ? Object.keys(doc.versions) : [];
    const spec = `${doc.name}@${versions.join(',') || '?'}`;
    const request = { url: this.url, token: this.token, timeoutMs: this.timeoutMs, params: this.params(doc, user) };
    checkPublish(request, raw)
      .then(({ status, body }) => {
        let verdict = null;
        try {
          verdict = JSON.parse(body);
        } catch (_err) {
          verdict = null;
        }
        if ((status !== 200 && status !== 422) || !verdict || typeof verdict.status !== 'string') {
          const hint = status === 413 ? 'the package is over extgate serve --max-body' : `HTTP ${status}`;
          this.logger.error({ spec, status }, 'extgate: check failed for @{spec} (HTTP @{status}); publish refused');
          const retry = status === 413 ? {} : { 'Retry-After': '30' };
          return reply(res, status === 413 ? 413 : 503, `extgate: the publish gate did not give a verdict (${hint}); publish refused, retry later.`, retry);
        }
        const headers = { 'X-Extgate-Status': verdict.status, 'X-Extgate-Sha256': (verdict.target || {}).sha256 || '' };
        if (verdict.status !== 'passed') {
          this.logger.warn({ spec, status: verdict.status }, 'extgate: @{spec} @{status}; publish refused');
          return reply(res, 403, refusal(verdict, spec), headers);
        }
        for (const [key, value] of Object.entries(headers)) res.setHeader(key, value);
        if (versions.length === 1) {
          // never keep a record the publisher wrote themselves
          if (this.storeVerdict) doc.versions[versions[0]].extgate = record(verdict, new Date().toISOString());
          else delete doc.versions[versions[0]].extgate;
        }
        return next();
      })
      .catch((err) => {
        this.logger.error({ spec, err: err.message }, 'extgate: gate unreachable for @{spec}: @{err}; publish refused');
        reply(res, 503, `extgate: the publish gate is unreachable (${err.message}); publish refused (fail closed), retry later.`, { 'Retry-After': '30' });
      });
  }
}

module.exports = function plugin(config, options) {
  return new ExtgatePlugin(config, options);
};
module.exports.ExtgatePlugin = ExtgatePlugin;
module.exports.PUBLISH_PATH = PUBLISH_PATH;
module.exports.LEGACY_PUBLISH = LEGACY_PUBLISH;
