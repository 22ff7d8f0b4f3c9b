import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorBody } from './error-codes';

/**
 * Answers, with the error envelope, what node's HTTP server would otherwise answer bare or not
 * at all: requests its parser refuses (unknown methods, malformed framing, over-long URLs and
 * headers), `Expect` values other than 100-continue, and CONNECT (which node hands to a
 * 'connect' listener, or drops when there is none). A client that half-closes its side after
 * sending (as a client giving up on a truncated upload does) still gets its answer: node would
 * otherwise drop the request unanswered.
 */
export function answerHostileTransport(server: Server): void {
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const [status, code, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE', 'The request line and headers exceed the server limit']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'REQUEST_TIMEOUT', 'The request was not received in time']
          : [400, 'MALFORMED_REQUEST', `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`];
    socket.end(rawAnswer(status, code, message));
  });
  server.on('checkExpectation', (req, res) => {
    const body = envelope(
      'EXPECTATION_FAILED',
      `Expect: ${String(req.headers.expect).slice(0, 100)} is not supported`,
    );
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
  server.on('connect', (_req, socket: Socket) => {
    socket.end(rawAnswer(405, 'METHOD_NOT_ALLOWED', 'CONNECT is not supported'));
  });
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

function envelope(code: string, message: string): Buffer {
  return Buffer.from(JSON.stringify({ error: { code, message } } satisfies ErrorBody));
}

function rawAnswer(status: number, code: string, message: string): Buffer {
  const body = envelope(code, message);
  const head =
    `HTTP/1.1 ${status} ${REASONS[status]}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
