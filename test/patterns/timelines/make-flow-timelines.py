# Writes the NDJSON timelines of sudden-flow.test.yaml: records per minute at CP0042, spread evenly
# over each minute from 2026-03-02T08:00:00Z. Run from this directory: python3 make-flow-timelines.py
import json
T0 = 1772438400000  # 2026-03-02T08:00:00Z

def write(name, per_minute):
    n = 0
    with open(name, 'w') as f:
        for m, k in enumerate(per_minute):
            for j in range(k):
                n += 1
                ts = T0 + m * 60000 + (j * 60000) // k + 500
                f.write(json.dumps({'id': f'r{n}', 'plate': f'浙B{n:05d}', 'plate_color': 'blue', 'vehicle_type': 'car',
                                    'speed': 60, 'checkpoint': 'CP0042', 'ts': ts}, ensure_ascii=False) + '\n')

write('flow-surge.ndjson', [11] * 25 + [60] * 6 + [11] * 3)
write('flow-drop.ndjson', [11] * 25 + [2] * 6 + [11] * 3)
write('flow-dark.ndjson', [11] * 25 + [0] * 20 + [11] * 10)
write('flow-thin.ndjson', [1] * 25 + [5] * 6 + [1] * 3)
write('flow-modest.ndjson', [20] * 25 + [45] * 5 + [20] * 5)
# A baseline that swings between 30 and 2 a minute every five minutes: doubling it is within its own spread.
write('flow-noisy.ndjson', ([30] * 5 + [2] * 5) * 3 + [60] * 5 + [2] * 5)
write('flow-ramp.ndjson', [11 + (9 * m) // 30 for m in range(34)])
# Seed 11's CP0084 at 19:00-19:50 city time: evening decline, a 12-minute fivefold surge, then the quieter evening.
write('flow-surge-end.ndjson', [50] * 10 + [45] * 10 + [40] * 5 + [200] * 12 + [25] * 16)
# A small town's camera on the morning rise (10 to 13 a minute over 25 minutes), then 24 a minute for five minutes (1.9x).
write('flow-rising-surge.ndjson', [10 + (3 * m) // 24 for m in range(25)] + [24] * 5 + [13] * 5)
# Four a minute, then a drop to 0.15 of it: most minutes empty, whole five-minute windows without a record.
write('flow-thin-drop.ndjson', [4] * 25 + [1, 0, 0, 0, 0, 0, 0, 1] + [4] * 6)
# A camera dark for ten minutes, then back: longer than a drop's empty windows may last.
write('flow-dark-10m.ndjson', [11] * 25 + [0] * 10 + [11] * 10)
