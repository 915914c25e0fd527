/** The filter of an id-ordered page: ids after the cursor (binary order, as the sort). */
export function afterId(after: string | undefined): { _id?: { $gt: string } } {
  return after === undefined ? {} : { _id: { $gt: after } };
}
