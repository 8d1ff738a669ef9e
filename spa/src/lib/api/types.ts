/**
 * The only module that names generated schema types. When the backend's
 * OpenAPI document renames a schema, fix the alias here and nowhere else.
 */
import type { components } from './schema';

type S = components['schemas'];

export type ReportStatus = S['StatusEnum'];
export type ReportTrigger = S['TriggerEnum'];
export type CleanupAction = S['ActionEnum'];
export type RemovalReason = S['ReasonEnum'];

export type TokenPair = S['TokenPair'];
export type Me = S['Me'];

export type Report = S['Report'];
export type AuditEntry = S['AuditEntry'];
export type Paginated<T> = { count: number; next: string | null; previous: string | null; results: T[] };

export type Policy = S['Policy'];
export type PolicyInput = S['PatchedPolicy'];
export type Preview = S['Preview'];
export type PreviewUser = S['PreviewUser'];
export type TriggerResponse = S['TriggerResponse'];

export type PlatformTenant = S['PlatformTenant'];
export type LastReportSummary = S['LastReport'];
export type TenantCreateInput = S['TenantCreate'];
export type PlatformTriggerInput = S['PlatformTriggerRequest'];
export type PlatformTriggerResponse = S['PlatformTriggerResponse'];
