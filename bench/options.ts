/** Command-line options of `npm run bench`. */
export interface BenchOptions {
  /** Print one JSON object instead of the table. */
  readonly json: boolean;
  /** Sequential round trips per measured round. */
  readonly iterations: number;
  /** Requests per measured round of the pipelined cases. */
  readonly pipelined: number;
  /** Messages per measured round of the 1,000-fd case. */
  readonly manyFds: number;
  /** 16 MiB echoes per measured round. */
  readonly bulk: number;
  /** Measured rounds per case (the median is reported); one warm-up round always runs first. */
  readonly rounds: number;
  /** Only run cases whose name contains this text (for development). */
  readonly only: string | null;
  /** Load our library from src/ via tsx instead of compiling it with tsc first. */
  readonly source: boolean;
}

const USAGE = `usage: npm run bench -- [--quick] [--json] [--iterations N] [--pipelined N] [--many-fds N]
                       [--bulk N] [--rounds N] [--only TEXT] [--source]
  --quick         smoke run: small counts, 3 rounds
  --json          print { cases: [...] } instead of the table
  --iterations N  sequential round trips per round (default 10000; quick 1000)
  --pipelined N   requests per round with 64 in flight (default 20000; quick 2000)
  --many-fds N    1,000-fd messages per round (default 100; quick 10)
  --bulk N        16 MiB echoes per round (default 2; quick 1)
  --rounds N      measured rounds per case, median reported (default 7; quick 3)
  --only TEXT     run only the cases whose name contains TEXT
  --source        run our library from src/ via tsx (default: compile it with tsc into bench/.build/dist/;
                  tsx's keepNames transform slows our closures down)`;

/** Parses `argv` (without node and script); exits with usage on a bad flag. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const opts = {
    json: false,
    iterations: quick ? 1000 : 10_000,
    pipelined: quick ? 2000 : 20_000,
    manyFds: quick ? 10 : 100,
    bulk: quick ? 1 : 2,
    rounds: quick ? 3 : 7,
    only: null as string | null,
    source: false,
  };
  const count = (i: number): number => {
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n <= 0) fail(`${argv[i] ?? ''} needs a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--quick':
        break;
      case '--source':
        opts.source = true;
        break;
      case '--json':
        opts.json = true;
        break;
      case '--iterations':
        opts.iterations = count(i++);
        break;
      case '--pipelined':
        opts.pipelined = count(i++);
        break;
      case '--many-fds':
        opts.manyFds = count(i++);
        break;
      case '--bulk':
        opts.bulk = count(i++);
        break;
      case '--rounds':
        opts.rounds = count(i++);
        break;
      case '--only':
        opts.only = argv[++i] ?? fail('--only needs a value');
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        fail(`unknown option ${argv[i] ?? ''}`);
    }
  }
  return opts;
}

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}
