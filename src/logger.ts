import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
const REDACTED_PATHS = [
  'secret',
  'adminToken',
  'accessToken',
  'access_token',
  'authorization',
  '*.secret',
  '*.adminToken',
  '*.accessToken',
  '*.access_token',
  '*.authorization',
  'req.headers.authorization',
  'wechat.secret',
];

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** Where lines go (default stdout); tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const logger = pino(
    {
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // An access token travels in URL query strings: scrub it from any message that quotes a URL.
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) =>
            typeof arg === 'string' ? redactSecretsInText(arg) : arg,
          );
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      formatters: {
        log: (object) => redactErrorMessages(object),
      },
      ...(options.pretty
        ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } }
        : {}),
    },
    ...(options.destination && !options.pretty ? [options.destination] : []),
  );
  return logger;
}

export function redactSecretsInText(text: string): string {
  return text.replace(/(access_token=)[^&\s"']+/gi, '$1[redacted]');
}

function redactErrorMessages(object: Record<string, unknown>): Record<string, unknown> {
  const err = object.err;
  if (typeof err === 'string') return { ...object, err: redactSecretsInText(err) };
  if (err instanceof Error) {
    return {
      ...object,
      err: {
        type: err.name,
        message: redactSecretsInText(err.message),
        stack: redactSecretsInText(err.stack ?? ''),
      },
    };
  }
  return object;
}

/** A logger that writes nothing, for tools and tests that do not want output. */
export const silentLogger: Logger = pino({ level: 'silent' });
