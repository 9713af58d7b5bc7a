// Fans engine events out to the views. Late subscribers (an Ink tree subscribes after its
// first render) get every earlier event replayed, so nothing is lost.
import type { DeployEvent, EventListener } from './events.js';

export interface EventBus {
  emit: EventListener;
  subscribe(listener: EventListener): () => void;
}

export function createEventBus(): EventBus {
  const history: DeployEvent[] = [];
  const listeners = new Set<EventListener>();
  return {
    emit(event) {
      history.push(event);
      for (const listener of listeners) listener(event);
    },
    subscribe(listener) {
      for (const event of history) listener(event);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
