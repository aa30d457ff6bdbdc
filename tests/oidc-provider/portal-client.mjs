// A portal built on a standard OAuth client library (panva/oauth4webapi), used unchanged
// against Kho: discovery (RFC 8414), PAR, the redirect flow with PKCE and iss checks, CIBA poll
// mode, DPoP-bound tokens and resource requests, with DPoP-Nonce handled by the library.
//
// Protocol (JSON lines): reads a config line on stdin; prints {"authorize": url} and reads the
// callback URL (redirect flow), or prints {"auth_req_id": id} and polls (CIBA); ends with
// {"result": {...}} or {"error": "..."}. With "again" in the config it then reads one more line
// and fetches the same document again, printing {"again": {"status": N}}.
import * as oauth from 'oauth4webapi';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const readLine = async () => (await lines.next()).value;
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const insecure = { [oauth.allowInsecureRequests]: true };

async function withNonceRetry(call) {
  try {
    return await call();
  } catch (err) {
    if (oauth.isDPoPNonceError(err)) return await call();
    throw err;
  }
}

async function main() {
  const config = JSON.parse(await readLine());
  const issuer = new URL(config.issuer);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
  const client = { client_id: config.client_id };
  const clientAuth = oauth.ClientSecretBasic(config.client_secret);
  const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
  let tokens;
  if (config.flow === 'redirect') {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const params = {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: config.redirect_uri,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      authorization_details: config.details,
    };
    const pushed = await withNonceRetry(async () => oauth.processPushedAuthorizationResponse(
      as, client, await oauth.pushedAuthorizationRequest(as, client, clientAuth, params, { DPoP, ...insecure })));
    const authorize = new URL(as.authorization_endpoint);
    authorize.searchParams.set('client_id', client.client_id);
    authorize.searchParams.set('request_uri', pushed.request_uri);
    say({ authorize: authorize.href });
    const callback = new URL(await readLine());
    const answer = oauth.validateAuthResponse(as, client, callback, state);
    tokens = await withNonceRetry(async () => oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, clientAuth, answer, config.redirect_uri, verifier, { DPoP, ...insecure })));
  } else {
    const started = await oauth.processBackchannelAuthenticationResponse(as, client,
      await oauth.backchannelAuthenticationRequest(as, client, clientAuth, {
        login_hint: config.login_hint,
        binding_message: config.binding_message,
        authorization_details: config.details,
      }, insecure));
    say({ auth_req_id: started.auth_req_id });
    let interval = started.interval ?? 5;
    for (;;) {
      await new Promise((r) => setTimeout(r, interval * 1000));
      try {
        tokens = await withNonceRetry(async () => oauth.processBackchannelAuthenticationGrantResponse(as, client,
          await oauth.backchannelAuthenticationGrantRequest(as, client, clientAuth, started.auth_req_id, { DPoP, ...insecure })));
        break;
      } catch (err) {
        if (err instanceof oauth.ResponseBodyError && err.error === 'authorization_pending') continue;
        if (err instanceof oauth.ResponseBodyError && err.error === 'slow_down') { interval += 5; continue; }
        throw err;
      }
    }
  }
  const fetchShared = async (path) => withNonceRetry(async () => oauth.protectedResourceRequest(
    tokens.access_token, 'GET', new URL(path, config.issuer), undefined, undefined, { DPoP, ...insecure }));
  const list = await (await fetchShared('/v1/shared/documents')).json();
  const id = list.items[0].id;
  const content = Buffer.from(await (await fetchShared(`/v1/shared/documents/${id}/content`)).arrayBuffer());
  say({
    result: {
      token_type: tokens.token_type,
      authorization_details: tokens.authorization_details,
      documents: list.items.map((d) => d.id),
      content_sha256: createHash('sha256').update(content).digest('hex'),
    },
  });
  if (config.again) {
    // Told to fetch again (after the owner withdrew, say): reports the status Kho answered.
    await readLine();
    let status;
    try {
      status = (await fetchShared(`/v1/shared/documents/${id}/content`)).status;
    } catch (err) {
      status = err?.response?.status ?? err?.status ?? 0;
    }
    say({ again: { status } });
  }
}

main().then(() => process.exit(0), (err) => {
  say({ error: `${err?.name}: ${err?.message} ${err?.error ?? ''} ${err?.cause?.error_description ?? ''}` });
  process.exit(1);
});
