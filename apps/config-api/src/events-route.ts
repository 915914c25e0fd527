import { Router } from 'express';
import { entityKey, HeraldError, validateEnvelope, type TopicNames } from '@herald/core';
import { encodeJson, type Bus } from '@herald/bus';

/**
 * `POST /v1/events`: the HTTP intake (F11). The envelope is validated (400 problem+json naming
 * each bad field; nothing invalid reaches Kafka), then produced to `herald.events` with the
 * entity key, and answered 202 once Kafka acknowledged it. Idempotent on the event id: the
 * same event posted twice yields the same deliveries (their ids derive from the event id).
 */
export function eventsRouter(deps: { bus: Bus; topics: TopicNames }): Router {
  const router = Router();
  router.post('/v1/events', async (req, res) => {
    const r = validateEnvelope(req.body);
    if (!r.ok) throw HeraldError.validation('The event is invalid', r.errors);
    const event = r.value;
    await deps.bus.publish(deps.topics.events, [{ key: entityKey(event), value: encodeJson(event), headers: { 'herald-event-id': event.id } }]);
    res.status(202).json({ id: event.id, status: 'accepted' });
  });
  return router;
}
