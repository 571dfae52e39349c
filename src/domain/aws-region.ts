/**
 * An AWS Region name (eu-west-1, us-gov-west-1, us-isob-east-1): one pattern for the policy's regions,
 * init-repo's state region, and the clients that sign calls for a region.
 */
export const AWS_REGION_PATTERN = '[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-[0-9]+';
export const AWS_REGION = new RegExp(`^${AWS_REGION_PATTERN}$`);
export const isAwsRegion = (name: string): boolean => AWS_REGION.test(name);
