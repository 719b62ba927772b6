// The KafkaTopic's API names, apart from its schema: the watcher and the
// operator's checks need them without loading zod and the schemas.
export const topicKind = 'KafkaTopic';
export const topicPlural = 'kafkatopics';
