// AWS Signature Version 4 for JSON-protocol calls (Kinesis), done by @smithy/signature-v4, the signer
// the AWS SDK itself uses: signing is never hand-written here.
// Facts: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html ,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface AwsJsonRequest {
  url: URL;
  region: string;
  service: string;
  /** X-Amz-Target, e.g. Kinesis_20131202.PutRecord. */
  target: string;
  /** Content-Type of the protocol, e.g. application/x-amz-json-1.1. */
  contentType: string;
  /** The exact bytes that will be sent: the signature covers their SHA-256. */
  body: string;
  credentials: AwsCredentials;
  /** Fixed signing time (tests); the current time otherwise. */
  signingDate?: Date;
}

/**
 * The headers of a signed POST: host, content-type, x-amz-target, x-amz-date, x-amz-security-token
 * (temporary credentials) and authorization. Send them unchanged, with exactly `body`.
 */
export async function signAwsJsonPost(r: AwsJsonRequest): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: r.service,
    region: r.region,
    credentials: {
      accessKeyId: r.credentials.accessKeyId,
      secretAccessKey: r.credentials.secretAccessKey,
      ...(r.credentials.sessionToken ? { sessionToken: r.credentials.sessionToken } : {}),
    },
    sha256: Sha256,
    // Kinesis does not need x-amz-content-sha256; leaving it out keeps the documented header set.
    applyChecksum: false,
  });
  const request = new HttpRequest({
    method: 'POST',
    protocol: r.url.protocol,
    hostname: r.url.hostname,
    ...(r.url.port ? { port: Number(r.url.port) } : {}),
    path: r.url.pathname,
    // The Host header is signed, so it is set here, to exactly what the request will carry.
    headers: { host: r.url.host, 'content-type': r.contentType, 'x-amz-target': r.target },
    body: r.body,
  });
  const signed = await signer.sign(request, r.signingDate ? { signingDate: r.signingDate } : {});
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = String(value);
  return headers;
}
