/**
 * The only module that names generated schema types (src/lib/api/schema.d.ts,
 * from `npm run gen:api`). When the backend's OpenAPI document renames a
 * schema, fix the alias here and nowhere else.
 */
import type { components, operations } from './schema';

type S = components['schemas'];

export type ReportStatus = S['ReportStatusEnum'];
/** The statuses of a run that holds its tenant's one active slot, as the server lists them. */
export type ActiveStatus = S['ActiveRunStatusEnum'];
/** Every other status: the run has ended. */
export type FinishedStatus = Exclude<ReportStatus, ActiveStatus>;
export type ReportTrigger = S['TriggerEnum'];
export type CleanupAction = S['ActionEnum'];
export type RemovalReason = S['ReasonEnum'];
export type AuditAction = S['AuditActionEnum'];
export type OnCap = S['OnCapEnum'];
export type OnUndeliverable = S['OnUndeliverableEnum'];
export type Timezone = S['Timezone'];
export type NoticeStatus = S['NoticeStatusEnum'];
export type NoticeLanguage = S['NoticeLanguageEnum'];
export type TenantRole = S['TenantRoleEnum'];

export type TokenPair = S['TokenPair'];
export type Me = S['Me'];

export type Report = S['Report'];
export type AuditEntry = S['AuditEntry'];
export type Notice = S['Notice'];
export type ReportConflict = S['ReportConflict'];
export type UndoPreview = S['UndoPreview'];
export type UndoResult = S['Undo'];
export type Reactivated = S['Reactivated'];

/** DRF's page-number pagination envelope, as every list endpoint answers. */
export interface Paginated<T> {
  count: number;
  next?: string | null;
  previous?: string | null;
  results: T[];
}
export type ReportPage = S['PaginatedReportList'];
export type AuditPage = S['PaginatedAuditEntryList'];
export type NoticePage = S['PaginatedNoticeList'];
export type TenantPage = S['PaginatedTenantList'];
type TenantListQuery = NonNullable<operations['platform_tenants_list']['parameters']['query']>;
/** The tenants list's last-run filter: a finished status, or `never`. */
export type TenantStatusFilter = NonNullable<TenantListQuery['status']>;
export type TenantOrdering = NonNullable<TenantListQuery['ordering']>;

export type Policy = S['Policy'];
export type PolicyInput = S['PatchedPolicyWriteRequest'];
export type Preview = S['Preview'];
export type PreviewUser = S['PreviewUser'];
export type TriggerRequest = S['TriggerRequestRequest'];
export type TriggerResponse = S['TriggerResponse'];
export type TriggerConflict = S['Conflict'];

export type Exemption = S['Exemption'];
export type ExemptionPage = S['PaginatedExemptionList'];
export type ExemptionInput = S['ExemptionCreateRequest'];

export type Scope = S['ScopeEnum'];
export type ApiToken = S['Token'];
export type ApiTokenStatus = S['TokenStatusEnum'];
export type ApiTokenRevokedReason = S['TokenRevokedReasonEnum'];
/** The answer to a create: the token itself with its whole secret, in this answer only. */
export type ApiTokenCreated = S['TokenCreated'];
export type ApiTokenInput = S['TokenCreateRequest'];
export type ApiTokenPage = S['PaginatedTokenList'];
export type ServiceAccount = S['ServiceAccount'];
export type ServiceAccountInput = S['ServiceAccountCreateRequest'];
export type ServiceAccountPage = S['PaginatedServiceAccountList'];

export type ActivityEvent = S['ActivityEvent'];
export type ActivityPage = S['PaginatedActivityEventList'];
export type ActivityVerb = S['ActivityVerbEnum'];

export type PlatformTenant = S['Tenant'];
export type TenantSchedule = S['TenantSchedule'];
export type LastReportSummary = S['LastReport'];
export type TenantCreateInput = S['TenantCreateRequest'];
export type PlatformTriggerInput = S['PlatformTriggerRequest'];
export type PlatformTriggerResponse = S['PlatformTriggerResponse'];
export type PlatformTrigger = S['Trigger'];
export type TriggerRunStatus = S['TriggerRunStatusEnum'];
export type ActiveRun = S['ActiveRun'];
export type FleetSummary = S['FleetSummary'];
export type NeedsAttention = S['NeedsAttention'];

export type WebhookEndpoint = S['Endpoint'];
export type WebhookEndpointPage = S['PaginatedEndpointList'];
/** The create answer: the endpoint and its signing secret, which no other answer holds. */
export type WebhookEndpointCreated = S['EndpointCreated'];
export type WebhookEndpointInput = S['EndpointCreateRequest'];
export type WebhookEndpointChange = S['PatchedEndpointUpdateRequest'];
/** An event type an endpoint may subscribe to, or `*` (alone) for every type. */
export type WebhookEventType = S['WebhookEventTypeEnum'];
export type WebhookSecret = S['Secret'];
export type Delivery = S['Delivery'];
export type DeliveryPage = S['PaginatedDeliveryList'];
export type DeliveryStatus = S['DeliveryStatusEnum'];
export type DeliveryAttempt = S['Attempt'];
export type DeliveryAccepted = S['DeliveryAccepted'];
