import type { AwsCallObservation, SamlLink, ServiceAccountLink, WebIdentityLink } from '../../model/observation.js';
import { iamIdentity } from '../../model/subject.js';
import { assumeActions, servicePrincipalProblem } from '../../knowledge/aws/names.js';
import { isObj } from '../../util/json.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Who became a role in an allowed STS call: a service account (IRSA, EKS Pod Identity: `obs.link`), or an AWS
 * service (Lambda, EC2, ECS tasks: `obs.serviceLink`), whose role's trust must let it in.
 */
export function addLinks(v: Obj, obs: AwsCallObservation): void {
  const link = linkOf(v, obs);
  if (link) obs.link = link;
  else if (obs.principal.type === 'AWSService' && obs.decision === 'allow' && obs.eventName === 'AssumeRole') {
    const params = isObj(v['requestParameters']) ? v['requestParameters'] : {};
    const roleArn = str(params['roleArn']);
    // The trust actions beyond sts:AssumeRole where it passed session tags or set a source identity (IAM Roles
    // Anywhere does both); absent otherwise.
    const actions = assumeActions('sts:AssumeRole', params, isObj(v['responseElements']) ? v['responseElements'] : {});
    if (!servicePrincipalProblem(obs.principal.arn) && iamIdentity(roleArn)?.kind === 'role')
      obs.serviceLink = { service: obs.principal.arn, roleArn, ...(actions.length > 1 ? { actions } : {}) };
  } else if (obs.eventName === 'AssumeRoleWithSAML') {
    const s = samlOf(v, obs);
    if (s) obs.samlLink = s;
  } else {
    const w = webIdentityOf(v, obs);
    if (w) obs.webIdentityLink = w;
  }
}

/**
 * An allowed AssumeRoleWithSAML or AssumeRoleWithWebIdentity that made no link: its record lacks the role, the
 * provider or the subject, so no trust could name who it let in (a trust written without it would lock the caller
 * out). What is missing, in words, or undefined.
 */
export function unlinkedAssumption(obs: AwsCallObservation): string | undefined {
  if (obs.eventSource !== 'sts.amazonaws.com' || obs.decision !== 'allow') return undefined;
  if (obs.eventName === 'AssumeRoleWithSAML' && !obs.samlLink)
    return 'an allowed AssumeRoleWithSAML without the role (requestParameters.roleArn), the SAML provider (requestParameters.principalArn) or the subject (responseElements.subject, userIdentity.userName): no trust can name who it let in';
  if (obs.eventName === 'AssumeRoleWithWebIdentity' && !obs.link && !obs.webIdentityLink)
    return "an allowed AssumeRoleWithWebIdentity without the role (requestParameters.roleArn), the provider (userIdentity.identityProvider, responseElements.provider) or the token's subject (userIdentity.userName, responseElements.subjectFromWebIdentityToken): no trust can name who it let in";
  return undefined;
}

/**
 * A SAML user becoming a role, as the CloudTrail User Guide's AssumeRoleWithSAML example shows it: the IAM SAML
 * provider (`requestParameters.principalArn`), the subject (STS's answer `subject`, else `userIdentity.userName`),
 * its format (`subjectType`) and the audience from the answer, and the trust actions the request needed: session tags
 * from the assertion (`principalTags`, `transitiveTagKeys`) need `sts:TagSession`, a source identity
 * `sts:SetSourceIdentity`. Kept whatever they hold: `callProblem` refuses a record whose values a trust cannot name.
 */
function samlOf(v: Obj, obs: AwsCallObservation): SamlLink | undefined {
  if (obs.eventSource !== 'sts.amazonaws.com' || obs.decision !== 'allow') return undefined;
  const params = isObj(v['requestParameters']) ? v['requestParameters'] : {};
  const u = isObj(v['userIdentity']) ? v['userIdentity'] : {};
  const answer = isObj(v['responseElements']) ? v['responseElements'] : {};
  const roleArn = str(params['roleArn']);
  const provider = str(params['principalArn']);
  const subject = str(answer['subject']) || str(u['userName']);
  if (!roleArn || !provider || !subject) return undefined;
  const subjectType = str(answer['subjectType']);
  const audience = str(answer['audience']);
  const actions = assumeActions('sts:AssumeRoleWithSAML', params, answer);
  return {
    roleArn,
    provider,
    subject,
    ...(subjectType ? { subjectType } : {}),
    ...(audience ? { audience } : {}),
    actions,
  };
}

/**
 * A web identity that is no service account becoming a role (GitHub Actions, another OIDC issuer): the provider
 * (`userIdentity.identityProvider`, else STS's answer), the token's subject (`userIdentity.userName`, else
 * `subjectFromWebIdentityToken`) and audience (the answer's `audience`), as the CloudTrail User Guide's example and
 * GitHub's records show them, and the trust actions beyond `sts:AssumeRoleWithWebIdentity` it needed: a token of a
 * Cognito identity pool that maps claims to session tags passes them as `principalTags` (`sts:TagSession`), a source
 * identity `sts:SetSourceIdentity`. Kept whatever they hold: `callProblem` refuses a record whose values a trust
 * cannot name.
 */
function webIdentityOf(v: Obj, obs: AwsCallObservation): WebIdentityLink | undefined {
  if (obs.eventSource !== 'sts.amazonaws.com' || obs.eventName !== 'AssumeRoleWithWebIdentity') return undefined;
  if (obs.decision !== 'allow') return undefined;
  const params = isObj(v['requestParameters']) ? v['requestParameters'] : {};
  const roleArn = str(params['roleArn']);
  const u = isObj(v['userIdentity']) ? v['userIdentity'] : {};
  const answer = isObj(v['responseElements']) ? v['responseElements'] : {};
  const subject = str(u['userName']) || str(answer['subjectFromWebIdentityToken']);
  const provider = str(u['identityProvider']) || str(answer['provider']);
  if (!roleArn || !subject || !provider || SA_SUBJECT.test(subject)) return undefined;
  const audience = str(answer['audience']);
  // Only where it needed more than the token: a record without session tags or source identity keeps its bytes.
  const actions = assumeActions('sts:AssumeRoleWithWebIdentity', params, answer);
  return { roleArn, provider, subject, ...(audience ? { audience } : {}), ...(actions.length > 1 ? { actions } : {}) };
}

const SA_SUBJECT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The service that assumes a role for EKS Pod Identity: `userIdentity` `{type: AWSService, invokedBy: …}`. */
const POD_IDENTITY_SERVICE = 'pods.eks.amazonaws.com';

/**
 * IRSA: AssumeRoleWithWebIdentity by `system:serviceaccount:NS:NAME`; EKS Pod Identity: AssumeRole (and TagSession,
 * as the demo's records log it apart) by the service `pods.eks.amazonaws.com` (`userIdentity.type` AWSService,
 * `invokedBy` it: the EKS workshop's record) with the session tags `kubernetes-namespace` and
 * `kubernetes-service-account`. Anyone else passing those tags is no link: an IAM role or user may pass any tags it
 * likes (a CI role, a Pod Identity target role's chained AssumeRole, which the first role's session makes), and its
 * call is its own, counted for it, its trust naming it.
 */
function linkOf(v: Obj, obs: AwsCallObservation): ServiceAccountLink | undefined {
  if (obs.eventSource !== 'sts.amazonaws.com' || obs.decision !== 'allow') return undefined;
  const params = isObj(v['requestParameters']) ? v['requestParameters'] : {};
  const roleArn = str(params['roleArn']);
  if (!roleArn) return undefined;
  if (obs.eventName === 'AssumeRoleWithWebIdentity') {
    const u = v['userIdentity'] as Obj;
    const m = SA_SUBJECT.exec(str(u['userName']));
    // The token's issuer: the identity's provider, else STS's answer (an Athena table's userIdentity lacks it).
    const answer = isObj(v['responseElements']) ? v['responseElements'] : {};
    const provider = str(u['identityProvider']) || str(answer['provider']);
    return m
      ? { namespace: m[1]!, serviceAccount: m[2]!, roleArn, via: 'irsa', ...(provider ? { provider } : {}) }
      : undefined;
  }
  if ((obs.eventName === 'AssumeRole' || obs.eventName === 'TagSession') && podIdentityCaller(obs)) {
    const tags = Array.isArray(params['tags']) ? params['tags'].filter(isObj) : [];
    const tag = (k: string) => str(tags.find((t) => str(t['key']) === k)?.['value']);
    const ns = tag('kubernetes-namespace');
    const sa = tag('kubernetes-service-account');
    const cluster = tag('eks-cluster-arn');
    return ns && sa
      ? { namespace: ns, serviceAccount: sa, roleArn, via: 'pod-identity', ...(cluster ? { cluster } : {}) }
      : undefined;
  }
  return undefined;
}

/** The caller is the EKS Pod Identity service itself. */
const podIdentityCaller = (obs: AwsCallObservation): boolean =>
  obs.principal.type === 'AWSService' && obs.principal.arn === POD_IDENTITY_SERVICE;
