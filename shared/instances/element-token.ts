import { randomBytes } from 'node:crypto';
import { hashElementToken } from '../auth/token-index';

/** A new element token: 32 random bytes (256 bits), base64 like CE's. */
export const newElementToken = (): string => randomBytes(32).toString('base64');

/** The table never stores the token, only this hash (the key of the `TOKEN#<hash>` index item). */
export const elementTokenHash = (token: string): string => hashElementToken(token);
