// The ElectLeaders request (API key 43, version 2), which the Kafka client
// library does not implement. Encoded with the library's own protocol writer
// and reader, from the message definitions in Kafka's
// clients/src/main/resources/common/message/ElectLeaders{Request,Response}.json.
import { createAPI, Writer, type Reader } from '@platformatic/kafka';

export const electionTypes = { preferred: 0, unclean: 1 } as const;

export interface ElectLeadersTopic {
  topic: string;
  partitions: number[];
}

export interface ElectLeadersPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ElectLeadersResponse {
  errorCode: number;
  results: ElectLeadersPartitionResult[];
}

/** Partition result error codes the operator acts on. */
export const electionErrorCodes = {
  none: 0,
  preferredLeaderNotAvailable: 80,
  electionNotNeeded: 84,
} as const;

/* ElectLeaders Request (Version: 2) => election_type [topic_partitions] timeout_ms TAG_BUFFER
     election_type => INT8
     topic_partitions => topic [partitions] TAG_BUFFER   (null: every partition)
       topic => COMPACT_STRING
       partitions => INT32 */
function createRequest(electionType: number, topics: ElectLeadersTopic[] | null, timeoutMs: number): Writer {
  return Writer.create()
    .appendInt8(electionType)
    .appendArray(topics, (w, t) => {
      w.appendString(t.topic).appendArray(t.partitions, (w2, p) => w2.appendInt32(p), true, false);
    })
    .appendInt32(timeoutMs)
    .appendTaggedFields();
}

/* ElectLeaders Response (Version: 2) => throttle_time_ms error_code [replica_election_results] TAG_BUFFER
     replica_election_results => topic [partition_result] TAG_BUFFER
       partition_result => partition_id error_code error_message TAG_BUFFER */
function parseResponse(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): ElectLeadersResponse {
  reader.readInt32(); // throttle time
  const errorCode = reader.readInt16();
  const results = reader
    .readArray((r) => {
      const topic = r.readString();
      return r.readArray((p) => ({
        topic,
        partition: p.readInt32(),
        errorCode: p.readInt16(),
        errorMessage: p.readNullableString(),
      }));
    })
    .flat();
  reader.readTaggedFields();
  return { errorCode, results };
}

export const electLeadersV2 = createAPI<
  [electionType: number, topics: ElectLeadersTopic[] | null, timeoutMs: number],
  ElectLeadersResponse
>(43, 2, createRequest, parseResponse);
