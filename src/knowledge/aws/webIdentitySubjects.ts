/**
 * GitHub Actions' token subjects (GitHub's OpenID Connect reference: `repo:OWNER/REPO:ref:refs/tags/TAG` for a
 * workflow run on a tag) that name a release: a tag that is a version (`v1.4.0`, `release-2.0`, `1.4.0-rc.1`) is made
 * up per release, so the next release's subject is one a soak never saw. Its pattern keeps the repository and the
 * tag's stable start, letters and one separator before the version (`repo:acme/shop:ref:refs/tags/v*`). Only subjects
 * of that shape whose every character is one a repository or tag name of the shape allows and IAM's `StringLike` does
 * not read as a wildcard (`*`, `?`) or a policy variable (`${`).
 */
const RELEASE_TAG =
  /^(repo:[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}:ref:refs\/tags\/)([A-Za-z]{0,20}[-_/]?)\d+(?:\.\d+)+(?:[-+.][0-9A-Za-z.+-]{0,60})?$/;

/** The `StringLike` pattern of a release tag's subject, or undefined for any other subject. */
export function releaseTagPattern(subject: string): string | undefined {
  const m = RELEASE_TAG.exec(subject);
  return m ? `${m[1]!}${m[2]!}*` : undefined;
}
