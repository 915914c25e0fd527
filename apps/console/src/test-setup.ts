// Each component test starts from an empty document (Testing Library cleans up only with globals on).
import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/react';

afterEach(() => cleanup());
