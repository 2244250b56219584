/**
 * A parser for the subset of JQL the fake Jira understands. Anything outside it (WAS, CHANGED, `&&`, …) is a
 * syntax error, worded like Jira's "Error in the JQL Query: …" so callers see the same shape of failure.
 */

export type JqlOperator =
  '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~' | 'in' | 'not in' | 'is' | 'is not';

export type JqlOperand =
  | { kind: 'value'; value: string; position: number }
  | { kind: 'function'; name: string; args: string[]; position: number }
  | { kind: 'list'; items: JqlOperand[]; position: number }
  | { kind: 'empty'; position: number };

export type JqlClause = {
  kind: 'clause';
  field: string;
  fieldPosition: number;
  operator: JqlOperator;
  operand: JqlOperand;
};

export type JqlNode =
  JqlClause | { kind: 'and' | 'or'; children: JqlNode[] } | { kind: 'not'; child: JqlNode };

export type JqlSort = { field: string; fieldPosition: number; direction: 'asc' | 'desc' | null };

export type JqlQuery = { where: JqlNode | null; orderBy: JqlSort[] };

export class JqlSyntaxError extends Error {
  constructor(detail: string, text: string, position: number) {
    const before = text.slice(0, position);
    const line = before.split('\n').length;
    const character = position - before.lastIndexOf('\n');
    super(`Error in the JQL Query: ${detail} (line ${line}, character ${character})`);
    this.name = 'JqlSyntaxError';
  }
}

type Token = { type: 'word' | 'string' | 'op' | 'punct' | 'eof'; text: string; position: number };

const OPERATORS = ['!=', '!~', '>=', '<=', '=', '>', '<', '~'];
const WORD_END = /[\s()=,!<>~"'[\]]/;
const UNSUPPORTED_KEYWORDS = new Set([
  'was',
  'changed',
  'during',
  'before',
  'after',
  'on',
  'by',
  'from',
  'to',
]);
const VALID_OPERATORS =
  "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"' || ch === "'") {
      const start = i++;
      let value = '';
      while (i < text.length && text.charAt(i) !== ch) {
        if (text.charAt(i) === '\\' && i + 1 < text.length) i++;
        value += text.charAt(i++);
      }
      if (i >= text.length) {
        throw new JqlSyntaxError(`The quoted string '${value}' has not been completed.`, text, start);
      }
      i++;
      tokens.push({ type: 'string', text: value, position: start });
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ type: 'punct', text: ch, position: i++ });
    } else if (OPERATORS.some((op) => text.startsWith(op, i))) {
      const op = OPERATORS.find((candidate) => text.startsWith(candidate, i)) ?? '';
      tokens.push({ type: 'op', text: op, position: i });
      i += op.length;
    } else if (ch === '!' || ch === '[' || ch === ']') {
      throw new JqlSyntaxError(`The character '${ch}' is a reserved JQL character.`, text, i);
    } else {
      const start = i;
      // `cf[10015]` is one word; other brackets are reserved.
      while (i < text.length && !WORD_END.test(text.charAt(i))) i++;
      if (/^cf$/i.test(text.slice(start, i)) && text.charAt(i) === '[') {
        const close = text.indexOf(']', i);
        if (close < 0) throw new JqlSyntaxError("Expecting ']' after the custom field id.", text, i);
        i = close + 1;
      }
      tokens.push({ type: 'word', text: text.slice(start, i), position: start });
    }
  }
  tokens.push({ type: 'eof', text: '', position: text.length });
  return tokens;
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parse(): JqlQuery {
    const where = this.isKeyword('order') || this.peek().type === 'eof' ? null : this.parseOr();
    const orderBy = this.isKeyword('order') ? this.parseOrderBy() : [];
    const rest = this.peek();
    if (rest.type !== 'eof') {
      this.fail(
        where ? `Expecting either 'OR' or 'AND' but got '${rest.text}'.` : `Unexpected '${rest.text}'.`,
        rest,
      );
    }
    return { where, orderBy };
  }

  private parseOr(): JqlNode {
    const children = [this.parseAnd()];
    while (this.acceptKeyword('or')) children.push(this.parseAnd());
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  private parseAnd(): JqlNode {
    const children = [this.parseNot()];
    while (this.acceptKeyword('and')) children.push(this.parseNot());
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  private parseNot(): JqlNode {
    if (this.acceptKeyword('not')) return { kind: 'not', child: this.parseNot() };
    if (this.acceptPunct('(')) {
      const inner = this.parseOr();
      this.expectPunct(')');
      return inner;
    }
    return this.parseClause();
  }

  private parseClause(): JqlClause {
    const fieldToken = this.next();
    if (fieldToken.type !== 'word' && fieldToken.type !== 'string') {
      this.fail(`Expecting a field name but got '${fieldToken.text || 'end of query'}'.`, fieldToken);
    }
    const operator = this.parseOperator();
    let operand: JqlOperand;
    if (operator === 'in' || operator === 'not in') {
      operand = this.peek().text === '(' ? this.parseList() : this.parseOperand();
      if (operand.kind !== 'list' && operand.kind !== 'function') {
        this.fail(
          `Expecting '(' but got '${this.tokens[this.index - 1]?.text ?? ''}'.`,
          this.tokens[this.index - 1]!,
        );
      }
    } else {
      operand = this.parseOperand();
    }
    return { kind: 'clause', field: fieldToken.text, fieldPosition: fieldToken.position, operator, operand };
  }

  private parseOperator(): JqlOperator {
    const token = this.next();
    if (token.type === 'op') return token.text as JqlOperator;
    const word = token.type === 'word' ? token.text.toLowerCase() : '';
    if (word === 'in') return 'in';
    if (word === 'is') return this.acceptKeyword('not') ? 'is not' : 'is';
    if (word === 'not' && this.acceptKeyword('in')) return 'not in';
    if (UNSUPPORTED_KEYWORDS.has(word)) {
      this.fail(`The operator '${token.text.toUpperCase()}' is not supported by the fake Jira.`, token);
    }
    return this.fail(
      `Expecting operator but got '${token.text || 'end of query'}'. ${VALID_OPERATORS}`,
      token,
    );
  }

  private parseList(): JqlOperand {
    const open = this.next();
    const items: JqlOperand[] = [this.parseOperand()];
    while (this.acceptPunct(',')) items.push(this.parseOperand());
    this.expectPunct(')');
    return { kind: 'list', items, position: open.position };
  }

  private parseOperand(): JqlOperand {
    const token = this.next();
    if (token.type === 'string') return { kind: 'value', value: token.text, position: token.position };
    if (token.type !== 'word') {
      return this.fail(
        `Expecting either a value, list or function but got '${token.text || 'end of query'}'.`,
        token,
      );
    }
    if (/^(empty|null)$/i.test(token.text)) return { kind: 'empty', position: token.position };
    if (this.acceptPunct('(')) {
      const args: string[] = [];
      if (!this.acceptPunct(')')) {
        do {
          const arg = this.next();
          if (arg.type !== 'word' && arg.type !== 'string') {
            this.fail(`Expecting a function argument but got '${arg.text}'.`, arg);
          }
          args.push(arg.text);
        } while (this.acceptPunct(','));
        this.expectPunct(')');
      }
      return { kind: 'function', name: token.text, args, position: token.position };
    }
    return { kind: 'value', value: token.text, position: token.position };
  }

  private parseOrderBy(): JqlSort[] {
    this.next();
    if (!this.acceptKeyword('by')) this.fail(`Expecting 'by' but got '${this.peek().text}'.`, this.peek());
    const sorts: JqlSort[] = [];
    do {
      const field = this.next();
      if (field.type !== 'word' && field.type !== 'string') {
        this.fail(`Expecting a field name but got '${field.text}'.`, field);
      }
      const direction = this.acceptKeyword('asc') ? 'asc' : this.acceptKeyword('desc') ? 'desc' : null;
      sorts.push({ field: field.text, fieldPosition: field.position, direction });
    } while (this.acceptPunct(','));
    return sorts;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'eof') this.index++;
    return token;
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.type === 'word' && token.text.toLowerCase() === word;
  }

  private acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.index++;
    return true;
  }

  private acceptPunct(punct: string): boolean {
    const token = this.peek();
    if (token.type !== 'punct' || token.text !== punct) return false;
    this.index++;
    return true;
  }

  private expectPunct(punct: string): void {
    if (!this.acceptPunct(punct)) {
      this.fail(`Expecting '${punct}' but got '${this.peek().text || 'end of query'}'.`, this.peek());
    }
  }

  private fail(detail: string, token: Token): never {
    throw new JqlSyntaxError(detail, this.text, token.position);
  }
}

/** Parses JQL into a tree; throws JqlSyntaxError for anything outside the supported subset. */
export function parseJql(text: string): JqlQuery {
  return new Parser(text).parse();
}
