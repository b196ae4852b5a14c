/** What the Kubernetes catalog entries share: name rules and the permanent failure types. */
import { FAILURE } from '../../shared/failures';
import { z } from 'zod';

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
export const k8sName = (what: string) => z.string().regex(NAME, `a Kubernetes ${what} name`);
export const namespace = k8sName('namespace');
export const selector = z.string().min(1).describe('A label selector, e.g. app=checkout,tier=web');
export const NON_RETRYABLE = [FAILURE.NotFound, FAILURE.Forbidden, FAILURE.InvalidInput];
export const changed = { changed: z.boolean(), reason: z.string().optional() };
