// SCRAM-SHA-512 credentials through the Admin API (AlterUserScramCredentials):
// the broker stores a salted password only, derived here as RFC 5802 asks
// (PBKDF2 with HMAC-SHA-512), so the password itself never reaches Kafka's
// metadata log.
import {
  alterUserScramCredentialsV0,
  describeUserScramCredentialsV0,
  type Connection,
} from '@platformatic/kafka';
import { pbkdf2Sync, randomBytes } from 'node:crypto';

/** Kafka's ScramMechanism type of SCRAM-SHA-512. */
const scramSha512 = 2;
/** Kafka refuses fewer than 4096 iterations. */
export const scramIterations = 8192;

export async function upsertScramCredential(
  connection: Connection,
  user: string,
  password: string,
): Promise<void> {
  const salt = randomBytes(32);
  const saltedPassword = pbkdf2Sync(password, salt, scramIterations, 64, 'sha512');
  const response = await alterUserScramCredentialsV0.api.async(
    connection,
    [],
    [{ name: user, mechanism: scramSha512, iterations: scramIterations, salt, saltedPassword }],
  );
  const failed = response.results.find((r) => r.errorCode !== 0);
  if (failed) {
    throw new Error(
      `setting the SCRAM credential of ${failed.user} failed: ${failed.errorMessage ?? failed.errorCode}`,
    );
  }
}

/** Users that hold a SCRAM-SHA-512 credential now, of those asked about (all when none are named). */
export async function scramUsers(connection: Connection): Promise<Set<string>> {
  const response = await describeUserScramCredentialsV0.api.async(connection, null);
  return new Set(
    response.results
      .filter((r) => r.errorCode === 0 && r.credentialInfos.some((c) => c.mechanism === scramSha512))
      .map((r) => r.user),
  );
}

export async function deleteScramCredential(connection: Connection, user: string): Promise<void> {
  const response = await alterUserScramCredentialsV0.api.async(
    connection,
    [{ name: user, mechanism: scramSha512 }],
    [],
  );
  // RESOURCE_NOT_FOUND (91): no credential to delete, which is the goal.
  const failed = response.results.find((r) => r.errorCode !== 0 && r.errorCode !== 91);
  if (failed) {
    throw new Error(
      `deleting the SCRAM credential of ${failed.user} failed: ${failed.errorMessage ?? failed.errorCode}`,
    );
  }
}
