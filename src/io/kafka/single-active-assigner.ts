import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/**
 * A group assignment where one member, the oldest, gets every partition and the others stand by with none.
 *
 * A job whose operators are keyed by something other than the input's partition key (plate rules over a topic
 * partitioned by checkpoint) is only correct when one task sees every partition. Until such keys go through a
 * repartition topic, extra processes in the group are hot standbys: when the active member dies, the group
 * rebalances, the next oldest gets everything and restores the last checkpoint. Members advertise when they
 * started in their subscription's user data; ties and old clients fall back to the member id, so every leader
 * computes the same answer. A member that joins later never takes over from a running one.
 */
export function singleActiveAssigner(startedAt: number): PartitionAssigner {
  return ({ cluster }) => ({
    name: 'VigilSingleActive',
    version: 1,
    async assign({ members, topics }) {
      const ranked = members
        .map((m) => {
          const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
          const since = meta !== null && meta.userData.length === 8 ? Number(meta.userData.readBigInt64BE(0)) : Number.MAX_SAFE_INTEGER;
          return { memberId: m.memberId, since };
        })
        .sort((a, b) => a.since - b.since || (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
      const active = ranked[0]?.memberId;
      const all: Record<string, number[]> = {};
      for (const topic of topics) all[topic] = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((a, b) => a - b);
      return ranked.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: memberId === active ? all : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      const userData = Buffer.alloc(8);
      userData.writeBigInt64BE(BigInt(startedAt), 0);
      return { name: 'VigilSingleActive', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData }) };
    },
  });
}
