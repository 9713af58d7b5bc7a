// Fans engine events out to the views. Late subscribers (an Ink tree subscribes after its
// first render) get every earlier event replayed, so nothing is lost.
import type { DeployEvent } from './events.js';

export interface EventBus<E = DeployEvent> {
  emit(event: E): void;
  subscribe(listener: (event: E) => void): () => void;
}

export function createEventBus<E = DeployEvent>(): EventBus<E> {
  const history: E[] = [];
  const listeners = new Set<(event: E) => void>();
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
