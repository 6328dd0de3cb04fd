import { VarlinkIdlError } from './varlink-idl-error.js';

/** What lay between two tokens. */
export interface Trivia {
  /** At least one line break was crossed (a comment ends at one, so it counts). */
  readonly newline: boolean;
  /** The comment lines directly before the next token: own lines, no blank line in between. */
  readonly docs: readonly string[];
}

/** A position in the source, 1-based. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

// Whitespace and line breaks as the Varlink PEG defines them (after ECMA-262 5th ed. 7.2/7.3).
const WHITESPACE = /[ \t\u00A0\uFEFF\u1680\u180E\u2000-\u200A\u202F\u205F\u3000]/;
const LINE_BREAK = /[\n\r\u2028\u2029]/;
const WORD_CHAR = /[A-Za-z0-9_]/;
const INTERFACE_NAME_CHAR = /[A-Za-z0-9.\-]/;
// Sticky, and bounded so a long run is not copied just to be cut.
const WORD = /[A-Za-z0-9_]{1,41}/y;

/** The most characters of source text an error message quotes. */
export const QUOTE_MAX = 40;

/** `text`, cut to {@link QUOTE_MAX} characters with `…` when longer: for quoting source in messages. */
export function quoteExcerpt(text: string): string {
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text;
}

/**
 * Character-level cursor over IDL text for the parser: skips whitespace and comments (collecting
 * doc comments), reads words, and builds errors that carry line and column.
 */
export class IdlScanner {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly text: string) {}

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** Index of the cursor in the text. */
  get offset(): number {
    return this.pos;
  }

  /** The current character, or `undefined` at the end. */
  peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }

  position(): SourcePosition {
    return { line: this.line, column: this.pos - this.lineStart + 1 };
  }

  /** Skips whitespace, line breaks and comments, and reports what was crossed. */
  skipTrivia(): Trivia {
    let newline = false;
    let docs: string[] = [];
    // Trivia always starts right after a token, except at the very beginning of the text.
    let lineHasToken = this.pos > 0;
    let lineHasComment = false;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos] as string;
      if (WHITESPACE.test(c)) {
        this.pos++;
      } else if (LINE_BREAK.test(c)) {
        // A blank line separates a comment block from what follows: it is then not documentation.
        if (!lineHasToken && !lineHasComment) docs = [];
        this.consumeLineBreak();
        newline = true;
        lineHasToken = false;
        lineHasComment = false;
      } else if (c === '#') {
        const start = this.pos + 1;
        while (this.pos < this.text.length && !LINE_BREAK.test(this.text[this.pos] as string)) this.pos++;
        if (lineHasToken) {
          // A comment after a token on the same line documents nothing.
          docs = [];
        } else {
          docs.push(stripCommentText(this.text.slice(start, this.pos)));
        }
        lineHasComment = true;
      } else {
        break;
      }
    }
    return { newline, docs };
  }

  /** Consumes `literal` if the text continues with it. */
  accept(literal: string): boolean {
    if (!this.text.startsWith(literal, this.pos)) return false;
    this.pos += literal.length;
    return true;
  }

  /** Consumes `literal` or throws `expected <what>`. */
  expect(literal: string, what = `'${literal}'`): void {
    if (!this.accept(literal)) throw this.errorHere(`expected ${what}`);
  }

  /** Reads a run of `[A-Za-z0-9_]` (possibly empty) without judging it. */
  readWord(): string {
    return this.readWhile(WORD_CHAR);
  }

  /** Reads a run of characters that may form an interface name (possibly empty). */
  readInterfaceNameCandidate(): string {
    return this.readWhile(INTERFACE_NAME_CHAR);
  }

  /** Moves the cursor back to the start of a word just read, to report an error at it. */
  unread(word: string): void {
    this.pos -= word.length;
  }

  /**
   * Describes the upcoming token for error messages: a word (cut to {@link QUOTE_MAX} characters), a
   * character, or the end. IDL may come from a remote service, and a megabyte of garbage must not
   * become a megabyte of error message.
   */
  describeNext(): string {
    if (this.atEnd) return 'end of input';
    WORD.lastIndex = this.pos;
    const word = WORD.exec(this.text);
    if (word) return `'${quoteExcerpt(word[0])}'`;
    const c = String.fromCodePoint(this.text.codePointAt(this.pos) as number);
    if (LINE_BREAK.test(c)) return 'line break';
    return JSON.stringify(c);
  }

  /** An error at the cursor: `<detail>, found <next token>`. */
  errorHere(detail: string): VarlinkIdlError {
    const { line, column } = this.position();
    return new VarlinkIdlError(`${detail}, found ${this.describeNext()}`, line, column);
  }

  /** An error at a remembered position. */
  errorAt(at: SourcePosition, detail: string): VarlinkIdlError {
    return new VarlinkIdlError(detail, at.line, at.column);
  }

  private readWhile(re: RegExp): string {
    const start = this.pos;
    while (this.pos < this.text.length && re.test(this.text[this.pos] as string)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private consumeLineBreak(): void {
    const c = this.text[this.pos];
    this.pos += c === '\r' && this.text[this.pos + 1] === '\n' ? 2 : 1;
    this.line++;
    this.lineStart = this.pos;
  }
}

/** `# text` → `text`: one space after `#` is a separator, trailing whitespace is noise. */
function stripCommentText(raw: string): string {
  const text = raw.startsWith(' ') ? raw.slice(1) : raw;
  return text.trimEnd();
}
