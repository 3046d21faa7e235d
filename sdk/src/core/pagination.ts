// Cursor pages, as openai-node's: `await client.files.list()` is one page; `for await (const f of
// client.files.list())` walks every item of every page, fetching the next page (`after` = the last id) when
// the current one is used up.

/** The API's one list shape. */
export interface ListBody<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  first_id?: string | null;
  last_id?: string | null;
}

type FetchPage<T> = (after: string | undefined) => Promise<ListBody<T>>;

export class CursorPage<T extends { id: string }> implements AsyncIterable<T> {
  readonly data: T[];
  readonly has_more: boolean;
  readonly first_id: string | null;
  readonly last_id: string | null;
  readonly #fetch: FetchPage<T>;

  constructor(body: ListBody<T>, fetchPage: FetchPage<T>) {
    this.data = body.data;
    this.has_more = body.has_more;
    this.first_id = body.first_id ?? body.data[0]?.id ?? null;
    this.last_id = body.last_id ?? body.data[body.data.length - 1]?.id ?? null;
    this.#fetch = fetchPage;
  }

  hasNextPage(): boolean {
    return this.has_more && this.last_id !== null;
  }

  async getNextPage(): Promise<CursorPage<T>> {
    if (!this.hasNextPage()) throw new Error("No next page: check hasNextPage() first.");
    return new CursorPage(await this.#fetch(this.last_id!), this.#fetch);
  }

  /** This page and every one after it. */
  async *iterPages(): AsyncGenerator<CursorPage<T>> {
    let page: CursorPage<T> = this;
    yield page;
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      yield page;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for await (const page of this.iterPages()) yield* page.data;
  }
}

/** What a `list` call returns: await it for the first page, or iterate it for every item. */
export class PagePromise<T extends { id: string }> implements Promise<CursorPage<T>>, AsyncIterable<T> {
  readonly #page: Promise<CursorPage<T>>;

  constructor(fetchPage: FetchPage<T>, after?: string) {
    this.#page = fetchPage(after).then((body) => new CursorPage(body, fetchPage));
  }

  // biome-ignore lint/suspicious/noThenProperty: being awaitable is the point of this class
  then<R1 = CursorPage<T>, R2 = never>(
    onFulfilled?: ((page: CursorPage<T>) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#page.then(onFulfilled, onRejected);
  }

  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<CursorPage<T> | R> {
    return this.#page.catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<CursorPage<T>> {
    return this.#page.finally(onFinally);
  }

  readonly [Symbol.toStringTag] = "PagePromise";

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* await this.#page;
  }
}
