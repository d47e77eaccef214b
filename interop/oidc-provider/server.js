// node oidc-provider (unmodified, from npm) configured for the DCR fallback flow, on loopback.
//
//   node server.js CONFIG.json
//
// CONFIG.json is written by interop/run_oidc_provider.py: the port, the TLS files of the test PKI,
// the main clients (ids, secrets, public keys, certificates) and the templates. Everything below
// that is not plain oidc-provider configuration is glue, kept to three pieces and marked GLUE:
//   1. TLS in front (node's https with requestCert), because oidc-provider leaves TLS and the
//      client certificate to the deployment (features.mTLS.getCertificate & co.);
//   2. the initial registration token is a client_credentials token with scope `dcr`, spent once,
//      because oidc-provider's initial access tokens are minted by the deployment, not by a grant;
//   3. one registration policy, `template`, that shapes the client from the template named by
//      `software_id`, because oidc-provider has no templates (its policies are the hook for that).
// It prints "READY <issuer>" on stdout once it listens.
import { X509Certificate, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';

import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `https://127.0.0.1:${config.port}`;
const read = (path) => readFileSync(path, 'utf8');

// ---- clients: the main clients, an introspector and a client no template names ------------------
const CC = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };

function publicJwk(pemPath, extra = {}) {
  return { ...createPublicKey(read(pemPath)).export({ format: 'jwk' }), ...extra };
}

function clientMetadata(c) {
  const base = {
    ...CC, client_id: c.client_id, token_endpoint_auth_method: c.auth_method, scope: c.scope,
  };
  switch (c.auth_method) {
    case 'client_secret_basic':
    case 'client_secret_post':
      return { ...base, client_secret: c.client_secret };
    case 'client_secret_jwt':
      return { ...base, client_secret: c.client_secret, token_endpoint_auth_signing_alg: c.alg };
    case 'private_key_jwt':
      return {
        ...base,
        token_endpoint_auth_signing_alg: c.alg,
        jwks: { keys: [publicJwk(c.public_key, { kid: c.kid, alg: c.alg, use: 'sig' })] },
      };
    case 'tls_client_auth':
      return { ...base, tls_client_auth_subject_dn: c.subject_dn };
    case 'self_signed_tls_client_auth': {
      // RFC 8705 §2.2: the self-signed certificate is registered in jwks (x5c); oidc-provider
      // compares its SHA-256 thumbprint with the presented certificate's.
      const cert = new X509Certificate(read(c.certificate));
      return {
        ...base,
        jwks: { keys: [publicJwk(c.certificate, { x5c: [cert.raw.toString('base64')] })] },
      };
    }
    default:
      throw new Error(`unsupported auth_method ${c.auth_method}`);
  }
}

// ---- GLUE 3: templates, applied by the registration policy `template` ---------------------------
// A template forces the client's shape (scope, grant types, auth method, no redirect URIs), as a
// Curity template client does; the request's own values for these are not applied (RFC 7591 §3.2.1
// lets the server replace requested metadata). It also names the main clients that may use it.
const { templates } = config;

function templatePolicy(ctx, properties) {
  // RFC 7591 §2: software_id is a string; only a template's own name selects it
  const id = properties.software_id;
  const template = typeof id === 'string' && Object.hasOwn(templates, id) ? templates[id] : undefined;
  if (!template) {
    throw new errors.InvalidClientMetadata('software_id names no template');
  }
  if (ctx.state.mainClientId !== undefined
      && !template.main_clients.includes(ctx.state.mainClientId)) {
    throw new errors.InvalidClientMetadata('this template does not name the main client');
  }
  if (ctx.oidc.client && ctx.oidc.client.metadata().software_id !== properties.software_id) {
    // RFC 7592 PUT (the registration access token carries the policy): the template stays.
    throw new errors.InvalidClientMetadata('software_id cannot change');
  }
  Object.assign(properties, {
    scope: template.scope,
    grant_types: template.grant_types,
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: template.token_endpoint_auth_method,
  });
  if (template.dpop_bound_access_tokens) properties.dpop_bound_access_tokens = true;
}

// ---- GLUE 1: client certificate from the TLS connection (node https terminates TLS) -------------
const caSubject = new X509Certificate(read(config.tls.ca)).subject;

function peerCertificate(ctx) {
  const cert = ctx.socket.getPeerX509Certificate?.();
  return cert ?? undefined;
}

// RFC 4514 DN "CN=main-mtls,O=dcr-conformance" vs node's "O=dcr-conformance\nCN=main-mtls":
// compared as sets of attribute=value pairs.
const dnPairs = (dn) => new Set(dn.split(/[,\n]/).map((s) => s.trim()).filter(Boolean));
const sameDn = (a, b) => {
  const [x, y] = [dnPairs(a), dnPairs(b)];
  return x.size === y.size && [...x].every((v) => y.has(v));
};

const provider = new Provider(issuer, {
  clients: [...config.clients.map(clientMetadata)],
  scopes: config.scopes,
  extraClientMetadata: { properties: ['software_id'] },
  clientAuthMethods: [
    'client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt',
    'tls_client_auth', 'self_signed_tls_client_auth',
  ],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    registration: {
      enabled: true,
      initialAccessToken: true, // adapter-backed IATs (minted by GLUE 2)
      policies: { template: templatePolicy },
    },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
    // RFC 9449 §8: server nonces at the token endpoint, required on every DPoP proof
    dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
    mTLS: {
      enabled: true,
      tlsClientAuth: true,
      selfSignedTlsClientAuth: true,
      getCertificate: peerCertificate,
      // node verified the chain against the test CA (requestCert, rejectUnauthorized: false)
      certificateAuthorized: (ctx) => ctx.socket.authorized === true,
      certificateSubjectMatches: (ctx, property, expected) => property === 'tls_client_auth_subject_dn'
        && sameDn(peerCertificate(ctx).subject, expected),
    },
  },
  // client_credentials tokens live 300 s, initial tokens (scope dcr) 5 s, so that the suite can
  // see one expire (DCR-REG-008, DCR-REV-008 wait for it within --dcr-max-wait)
  ttl: {
    ClientCredentials: (ctx, token) => (token.scope?.split(' ').includes('dcr') ? 5 : 300),
    InitialAccessToken: 60,
  },
  // a fresh RS256 signing key per start (the default alg of ID tokens and JWT responses)
  jwks: { keys: [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })] },
});

// ---- GLUE 2: the initial token is a client_credentials token with scope `dcr`, usable once -------
// oidc-provider accepts as initial access token only an InitialAccessToken it stored. This
// middleware, on POST /reg, looks the bearer token up as a client_credentials token; one with the
// `dcr` scope is spent (destroyed; the synchronous `spent` set makes two concurrent uses see it
// spent) and swapped for a fresh InitialAccessToken carrying the `template` policy, and the main
// client's id is kept for that policy. Any other token is passed on unchanged, so
// oidc-provider's own check answers it (401 invalid_token). The token is spent even when the
// registration is then refused (a one-shot token, as Curity's); `spent` grows by one id per use.
const spent = new Set();
provider.use(async (ctx, next) => {
  const auth = ctx.headers.authorization;
  if (ctx.method === 'POST' && ctx.path === '/reg' && /^bearer /i.test(auth ?? '')) {
    const value = auth.slice(7).trim();
    const token = await provider.ClientCredentials.find(value);
    if (token && (token.scope ?? '').split(' ').includes('dcr')) {
      if (!spent.has(token.jti)) {
        spent.add(token.jti);
        await token.destroy();
        const iat = new provider.InitialAccessToken({ policies: ['template'] });
        ctx.headers.authorization = `Bearer ${await iat.save()}`;
        ctx.state.mainClientId = token.clientId;
      }
    }
  }
  await next();
});

const server = https.createServer({
  key: read(config.tls.key),
  cert: read(config.tls.cert),
  ca: [read(config.tls.ca)],
  requestCert: true, // ask every client for a certificate; oidc-provider decides what it means
  rejectUnauthorized: false, // an untrusted or self-signed one still reaches oidc-provider
}, provider.callback());

server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`READY ${issuer} (CA ${caSubject.replace(/\n/g, ', ')})\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections(); // keep-alive connections would hold close() up
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
