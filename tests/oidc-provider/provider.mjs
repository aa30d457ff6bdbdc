// A real OpenID Provider (panva/oidc-provider, OpenID Certified) for Kho's integration tests.
//
// Usage: node provider.mjs CONFIG.json
// CONFIG: {
//   "port": 0,                      // 0 picks a free port; a fixed one restarts an issuer in place
//   "clients": [ oidc-provider client metadata ],
//   "accounts": { "<account id>": { claims... } },
//   "clock_skew_seconds": 0,        // issue tokens as if the clock were this far off (expiry tests)
//   "id_token_ttl_seconds": 3600,   // how long ID tokens live
//   "publish_decoy_keys": false     // publish keys other than the signing ones (unknown-key tests)
// }
// Prints "listening <issuer>" on stdout when ready. Signing keys are generated at start, so every
// start is a key rotation. Login is a plain HTML form with an `account` field, as a person would
// fill it in; consent is granted with it.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const step = (what) => console.error(`${new Date().toISOString()} ${what}`);
step('loaded');
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

if (config.clock_skew_seconds) {
  const realNow = Date.now;
  Date.now = () => realNow() + config.clock_skew_seconds * 1000;
}

// P-256 (ES256): generated at once, unlike RSA, whose prime search stalled starts under load.
function signingJwk() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'ES256' };
}
const publicPart = ({ d, ...pub }) => pub;

const signingKey = signingJwk();
step('keys made');
const decoyKeys = config.publish_decoy_keys ? { keys: [publicPart(signingJwk())] } : null;

const server = http.createServer();
await new Promise((resolve) => server.listen(config.port ?? 0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
step(`bound ${issuer}`);

const accounts = config.accounts ?? {};
const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  ttl: { IdToken: config.id_token_ttl_seconds ?? 3600 },
  scopes: ['openid', 'profile'],
  claims: { openid: ['sub'], profile: ['name', 'personal_id', 'roles'] },
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = `<!doctype html><title>Logout</title>${form}<button form="op.logoutForm" name="logout" value="yes">Log out</button>`;
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!Object.hasOwn(accounts, id)) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) };
  },
});

if (decoyKeys) {
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') {
      ctx.type = 'application/jwk-set+json';
      ctx.body = decoyKeys;
      return;
    }
    await next();
  });
}

const callback = provider.callback();
step('provider ready');

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, url) {
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>Sign in</title>
<form method="post" action="/interaction/${details.uid}/login"><input name="account"><button>Sign in</button></form>`);
      return;
    }
    const account = (await readForm(req)).get('account');
    if (!Object.hasOwn(accounts, account)) {
      res.statusCode = 400;
      res.end('unknown account');
      return;
    }
    const grant = new provider.Grant({ accountId: account, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: account }, consent: { grantId } }, { mergeWithLastSubmission: false });
  } catch (err) {
    res.statusCode = 400;
    res.end(String(err));
  }
}

server.on('request', (req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname.startsWith('/interaction/')) return interaction(req, res, url);
  return callback(req, res);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
console.log(`listening ${issuer}`);
