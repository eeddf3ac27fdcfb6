/** The re-run tests' program: a speeding rule, a `not followed by` rule, per-minute flow (the flow the re-run corrects)
 *  and the trajectory steps the vehicle API reads. */
export const RERUN_PATTERNS = `
source passes
  event time ts
  watermark 1m out of order
  schema traffic

stream plates = from passes
  where plate_readable

-- What the trajectory API reads (as patterns/analytics.pattern has it): the CP0002 backlog comes up to 3 hours late.
stream trajectory_steps = from plates
  key by plate, plate_color
  keep 1d
  allowed lateness 4h
  select id, plate, plate_color, checkpoint, ts, direction, speed, lane,
         if(local_date(prev(ts)) == local_date(ts), ts - prev(ts), null) as gap

stream flow_1m = from passes
  key by checkpoint
  window tumbling 1m
  select checkpoint, count() as flow

pattern speeding
  from plates
  key by plate, plate_color
  define s as speed > 120
  match s
  emit { plate: s.plate, checkpoint: s.checkpoint, speed: s.speed }

pattern missed_b
  from plates
  key by plate, plate_color
  define
    a as checkpoint == "CP0001"
    b as checkpoint == "CP0002"
  match a not followed by b
  within 10m
  emit { plate: a.plate, at: a.ts }
`;
