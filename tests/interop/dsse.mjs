// DSSE envelopes checked and made by sigstore-js, for the interop test
// (tests/integration/sign_interop.sh): envlock's signatures must verify
// here, and envlock must accept what this signs.
//
//   node dsse.mjs verify ENVELOPE PUBKEY.pem [FILE]
//       verify ENVELOPE's signatures by PUBKEY (those whose keyid is the
//       key's id, or that have none); with FILE, the payload must be FILE's
//       bytes. Prints "verified KEYID" and exits 0; else says why on
//       stderr and exits 1.
//   node dsse.mjs sign FILE PRIVKEY.pem PAYLOADTYPE > FILE.sig
//       an envelope of FILE signed with PRIVKEY, in sign.h's shape.
//
// Usage errors exit 2, a missing @sigstore/core exits 3.
//
// The pre-authentication encoding is @sigstore/core's (dsse.preAuthEncoding),
// never one of our own, and so is the verification (crypto.createPublicKey,
// crypto.verify, crypto.digest). @sigstore/core's crypto.verify hands its
// algorithm straight to Node's crypto.verify, so it verifies Ed25519 too
// (algorithm undefined, as Ed25519 wants), and ECDSA P-256 with "sha256" and
// a DER signature (Node's default dsaEncoding). Signing is Node's
// crypto.sign: @sigstore/core has no signing helper.
//
// @sigstore/core is found in $EL_TEST_NODE_DIR/node_modules (default
// /var/lib/envlock-test/node), where packaging/install-test-node.sh puts it.

import { createRequire } from 'node:module';
import nodeCrypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const nodeDir = path.resolve(process.env.EL_TEST_NODE_DIR || '/var/lib/envlock-test/node');
const requireFromNodeDir = createRequire(path.join(nodeDir, 'package.json'));

let core;
try {
	core = requireFromNodeDir('@sigstore/core');
} catch (e) {
	process.stderr.write(`dsse.mjs: @sigstore/core is not in ${nodeDir}/node_modules (packaging/install-test-node.sh installs it): ${e.message}\n`);
	process.exit(3);
}

function usage() {
	process.stderr.write('usage: node dsse.mjs verify ENVELOPE PUBKEY.pem [FILE]\n' +
		'       node dsse.mjs sign FILE PRIVKEY.pem PAYLOADTYPE > FILE.sig\n');
	process.exit(2);
}

// A failed check: why, and exit 1.
class Refused extends Error {}
function refuse(why) {
	throw new Refused(why);
}

function readFile(file) {
	try {
		return fs.readFileSync(file);
	} catch (e) {
		refuse(`${file}: cannot be read: ${e.message}`);
	}
}

// Standard base64 (RFC 4648 section 4, padded), nothing Node would let
// through leniently (URL-safe letters, white space, missing padding).
function decodeBase64(what, text) {
	if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
		refuse(`${what} is not standard base64`);
	}
	const bytes = Buffer.from(text, 'base64');
	if (bytes.toString('base64') !== text) {
		refuse(`${what} is not canonical base64`);
	}
	return bytes;
}

// The key's id: SHA-256 of its DER SubjectPublicKeyInfo, lowercase hex.
function keyId(publicKey) {
	return core.crypto.digest('sha256', publicKey.export({ type: 'spki', format: 'der' })).toString('hex');
}

// The signature algorithm Node's crypto.verify/sign take for the key.
function algorithmOf(key, file) {
	if (key.asymmetricKeyType === 'ed25519') {
		return undefined;
	}
	if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
		return 'sha256';
	}
	refuse(`${file}: neither an ECDSA P-256 nor an Ed25519 key (${key.asymmetricKeyType})`);
}

function verify(envelopeFile, publicKeyFile, payloadFile) {
	let envelope;
	try {
		envelope = JSON.parse(readFile(envelopeFile).toString('utf8'));
	} catch (e) {
		if (e instanceof Refused) throw e;
		refuse(`${envelopeFile}: not JSON: ${e.message}`);
	}
	if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) {
		refuse(`${envelopeFile}: not a JSON object`);
	}
	if (typeof envelope.payloadType !== 'string') {
		refuse(`${envelopeFile}: no payloadType string`);
	}
	if (typeof envelope.payload !== 'string') {
		refuse(`${envelopeFile}: no payload string`);
	}
	if (!Array.isArray(envelope.signatures) || envelope.signatures.length === 0) {
		refuse(`${envelopeFile}: no signatures`);
	}
	const payload = decodeBase64(`${envelopeFile}: payload`, envelope.payload);

	let publicKey;
	try {
		publicKey = core.crypto.createPublicKey(readFile(publicKeyFile).toString('utf8'));
	} catch (e) {
		if (e instanceof Refused) throw e;
		refuse(`${publicKeyFile}: not a PEM public key: ${e.message}`);
	}
	const algorithm = algorithmOf(publicKey, publicKeyFile);
	const id = keyId(publicKey);
	const pae = core.dsse.preAuthEncoding(envelope.payloadType, payload);

	const why = [];
	let verified = false;
	envelope.signatures.forEach((signature, i) => {
		const what = `${envelopeFile}: signature ${i + 1}`;
		if (signature === null || typeof signature !== 'object' || typeof signature.sig !== 'string') {
			why.push(`${what}: no sig string`);
			return;
		}
		if (signature.keyid !== undefined && typeof signature.keyid !== 'string') {
			why.push(`${what}: keyid is not a string`);
			return;
		}
		if (signature.keyid && signature.keyid !== id) {
			why.push(`${what}: by key ${signature.keyid}, not ${id}`);
			return;
		}
		let sig;
		try {
			sig = decodeBase64(`${what}: sig`, signature.sig);
		} catch (e) {
			if (!(e instanceof Refused)) throw e;
			why.push(e.message);
			return;
		}
		if (core.crypto.verify(pae, publicKey, sig, algorithm)) {
			verified = true;
		} else {
			why.push(`${what}: does not verify with key ${id}`);
		}
	});
	if (!verified) {
		refuse(why.join('\n'));
	}
	if (payloadFile !== undefined && !payload.equals(readFile(payloadFile))) {
		refuse(`${envelopeFile}: the payload is not ${payloadFile}'s bytes`);
	}
	process.stdout.write(`verified ${id}\n`);
}

function sign(payloadFile, privateKeyFile, payloadType) {
	const payload = readFile(payloadFile);
	let privateKey;
	try {
		privateKey = nodeCrypto.createPrivateKey(readFile(privateKeyFile).toString('utf8'));
	} catch (e) {
		if (e instanceof Refused) throw e;
		refuse(`${privateKeyFile}: not a PEM private key: ${e.message}`);
	}
	const publicKey = nodeCrypto.createPublicKey(privateKey);
	const algorithm = algorithmOf(privateKey, privateKeyFile);
	const pae = core.dsse.preAuthEncoding(payloadType, payload);
	// ECDSA: SHA-256, the signature DER encoded (Node's default); Ed25519: no digest.
	const sig = nodeCrypto.sign(algorithm ?? null, pae, privateKey);
	if (!core.crypto.verify(pae, publicKey, sig, algorithm)) {
		refuse(`${privateKeyFile}: the signature just made does not verify`);
	}
	const envelope = {
		payload: payload.toString('base64'),
		payloadType,
		signatures: [{ keyid: keyId(publicKey), sig: sig.toString('base64') }],
	};
	process.stdout.write(JSON.stringify(envelope, null, 2) + '\n');
}

const [mode, ...args] = process.argv.slice(2);
try {
	if (mode === 'verify' && (args.length === 2 || args.length === 3)) {
		verify(...args);
	} else if (mode === 'sign' && args.length === 3) {
		sign(...args);
	} else {
		usage();
	}
} catch (e) {
	if (!(e instanceof Refused)) throw e;
	process.stderr.write(`${e.message}\n`);
	process.exit(1);
}
