import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorization } from './s3-client.js';

// The examples of AWS's "Signature Calculations for the Authorization Header" page for S3, with their published
// signatures: the test S3 server does not check SigV4, so these are what keep the signing honest.
const credentials = { region: 'us-east-1', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const DATE = '20130524T000000Z';

test('GET Object signs as in the AWS example', () => {
  const headers = { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY, 'x-amz-date': DATE };
  assert.equal(
    authorization(credentials, 'GET', '/test.txt', '', headers, DATE),
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );
});

test('GET Bucket (list objects) with a query signs as in the AWS example', () => {
  const headers = { host: 'examplebucket.s3.amazonaws.com', 'x-amz-content-sha256': EMPTY, 'x-amz-date': DATE };
  assert.match(authorization(credentials, 'GET', '/', 'max-keys=2&prefix=J', headers, DATE), /Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7$/);
});

test('GET Bucket lifecycle (a subresource without a value) signs as in the AWS example', () => {
  const headers = { host: 'examplebucket.s3.amazonaws.com', 'x-amz-content-sha256': EMPTY, 'x-amz-date': DATE };
  assert.match(authorization(credentials, 'GET', '/', 'lifecycle=', headers, DATE), /Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543$/);
});
