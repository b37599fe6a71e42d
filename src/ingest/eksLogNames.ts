/** The stream prefix of the API server's audit log in an EKS cluster's log group. */
export const EKS_AUDIT_STREAM_PREFIX = 'kube-apiserver-audit-';

/** An EKS cluster's control-plane log group. */
export const eksLogGroup = (cluster: string) => `/aws/eks/${cluster}/cluster`;
