'use strict';
// POST the publish document to `extgate serve` with node's own http/https (no dependencies).

const http = require('http');
const https = require('https');
const { URL } = require('url');

// Resolves {status, body} for any HTTP answer; rejects on a network error or the timeout.
function checkPublish({ url, token, timeoutMs, params }, body) {
  return new Promise((resolve, reject) => {
    const target = new URL('/v1/check-publish', url);
    for (const [key, values] of Object.entries(params)) {
      for (const value of values) target.searchParams.append(key, value);
    }
    const transport = target.protocol === 'https:' ? https : http;
    const headers = { 'Content-Type': 'application/json', 'Content-Length': body.length };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = transport.request(target, { method: 'POST', headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

module.exports = { checkPublish };
