// What a node pool may set on its broker pods (spec.nodePools[].template):
// the JVM's heap and options, an image of the same Kafka version from
// another registry, scheduling (tolerations, node affinity beside the zone,
// spreading across hosts, priority), extra labels and annotations, and the
// grace period of a shutdown. Every field is bounded, and nothing here can
// take over what Keelson sets: the zone term, its labels and annotations,
// the heap through options.
import { z } from 'zod';
import { withRules } from './rules.ts';

/** Kubernetes' qualified name: an optional DNS prefix and "/", then at most 63 characters. */
const qualifiedNamePattern =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
const qualifiedName = z
  .string()
  .min(1)
  .max(316)
  .regex(new RegExp(qualifiedNamePattern), 'must be a Kubernetes label key such as example.com/team');
const labelValue = z
  .string()
  .max(63)
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, 'must be a Kubernetes label value');

/** Prefixes of the labels and annotations Keelson sets on its pods. */
export const reservedMetadataPrefixes = ['keelson.dev/', 'app.kubernetes.io/'] as const;
const reservedCel = reservedMetadataPrefixes.map((p) => `!k.startsWith('${p}')`).join(' && ');
const notReserved = (k: string) => !reservedMetadataPrefixes.some((p) => k.startsWith(p));
const zoneKey = 'topology.kubernetes.io/zone';

/** A JVM size as -Xmx takes it: 512m, 2g. */
const jvmSize = z.string().regex(/^[1-9][0-9]{0,6}[kKmMgG]$/, 'must be a JVM size such as 512m or 6g');

/** One JVM option, one token: no blank, quote, "$" (Kubernetes would expand $(VAR)) or control character. */
const jvmOption = withRules(
  z
    .string()
    .min(2)
    .max(256)
    .regex(
      /^-[A-Za-z0-9:+=._/,@%-]+$/,
      'must be one JVM option such as -XX:+UseG1GC or -Dname=value: no blanks, quotes or "$"',
    ),
  [
    {
      cel: "!self.startsWith('-Xmx') && !self.startsWith('-Xms')",
      message: 'jvm.options may not set the heap: use jvm.heap',
      holds: (o) => !o.startsWith('-Xmx') && !o.startsWith('-Xms'),
    },
  ],
);

export const Toleration = withRules(
  z.object({
    key: qualifiedName.optional(),
    /** @default Equal */
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: labelValue.optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.int().min(0).max(31_536_000).optional(),
  }),
  [
    {
      cel: "has(self.operator) && self.operator == 'Exists' ? !has(self.value) || self.value == '' : has(self.key)",
      message: 'template.tolerations: Exists takes no value, and Equal needs a key',
      holds: (t) => (t.operator === 'Exists' ? !t.value : t.key !== undefined),
    },
  ],
);

export const NodeRequirement = withRules(
  z.object({
    key: qualifiedName,
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
    values: z.array(labelValue).max(16).optional(),
  }),
  [
    {
      cel: "self.operator in ['Exists', 'DoesNotExist'] ? !has(self.values) || size(self.values) == 0 : has(self.values) && size(self.values) >= 1 && (!(self.operator in ['Gt', 'Lt']) || size(self.values) == 1)",
      message:
        'template.nodeAffinity: In and NotIn need values, Gt and Lt exactly one, Exists and DoesNotExist none',
      holds: (r) => {
        const n = r.values?.length ?? 0;
        if (r.operator === 'Exists' || r.operator === 'DoesNotExist') return n === 0;
        return r.operator === 'Gt' || r.operator === 'Lt' ? n === 1 : n >= 1;
      },
    },
  ],
);

/** An image with a tag or a digest (never a moving default): what runs is what the spec says. */
export const imageReference = (example: string) =>
  z
    .string()
    .max(512)
    .regex(
      /^([a-z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._/-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/,
      `must be an image reference with a tag or digest, such as ${example}`,
    );

export const PodTemplate = withRules(
  z.object({
    jvm: z
      .object({
        /** -Xms and -Xmx both (KAFKA_HEAP_OPTS): Kafka runs best with a fixed heap. @default the image's 1g */
        heap: jvmSize.optional(),
        /** More JVM options (KAFKA_OPTS), one per item. */
        options: z.array(jvmOption).max(32).optional(),
      })
      .optional(),
    /**
     * The image, e.g. from a mirror registry: it must run the cluster's
     * kafkaVersion (a tag or a digest is required). @default apache/kafka:<kafkaVersion>
     */
    image: imageReference('registry.example.com/apache/kafka:4.1.1').optional(),
    tolerations: z.array(Toleration).max(16).optional(),
    /** Node requirements every node of the pool must meet, beside its zone. */
    nodeAffinity: z.array(NodeRequirement).max(8).optional(),
    /**
     * Keeping the cluster's pods on different hosts within a zone:
     * preferred (the scheduler tries), required (a pod waits for a free host) or none.
     * @default preferred
     */
    antiAffinity: z.enum(['preferred', 'required', 'none']).optional(),
    priorityClassName: z
      .string()
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be the name of a PriorityClass')
      .optional(),
    /** Extra pod labels; keelson.dev/ and app.kubernetes.io/ keys are Keelson's. */
    labels: z.record(qualifiedName, labelValue).meta({ maxProperties: 32 }).optional(),
    /** Extra pod annotations; keelson.dev/ keys are Keelson's. */
    annotations: z.record(qualifiedName, z.string().max(4096)).meta({ maxProperties: 32 }).optional(),
    /** Seconds a stopping broker gets for its controlled shutdown before it is killed. @default 120 */
    terminationGracePeriodSeconds: z.int().min(30).max(3600).optional(),
  }),
  [
    {
      cel: `!has(self.labels) || (size(self.labels) <= 32 && self.labels.all(k, ${reservedCel}))`,
      message: "template.labels: at most 32, and keelson.dev/ and app.kubernetes.io/ keys are Keelson's",
      path: ['labels'],
      holds: (t) =>
        t.labels === undefined ||
        (Object.keys(t.labels).length <= 32 && Object.keys(t.labels).every(notReserved)),
    },
    {
      cel: `!has(self.annotations) || (size(self.annotations) <= 32 && self.annotations.all(k, ${reservedCel}))`,
      message: "template.annotations: at most 32, and keelson.dev/ and app.kubernetes.io/ keys are Keelson's",
      path: ['annotations'],
      holds: (t) =>
        t.annotations === undefined ||
        (Object.keys(t.annotations).length <= 32 && Object.keys(t.annotations).every(notReserved)),
    },
    {
      cel: `!has(self.nodeAffinity) || self.nodeAffinity.all(r, r.key != '${zoneKey}')`,
      message: `template.nodeAffinity: ${zoneKey} is Keelson's (use the pool's zones)`,
      path: ['nodeAffinity'],
      holds: (t) => (t.nodeAffinity ?? []).every((r) => r.key !== zoneKey),
    },
  ],
);

export type PodTemplate = z.output<typeof PodTemplate>;
