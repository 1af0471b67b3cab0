import { conversationItemRoutes } from '../conversations/conversation-items.js';
import { conversationRoutes } from '../conversations/conversations.js';
import { responseRoutes } from './responses.js';

/** Every route of the Responses and Conversations APIs. */
export const responsesApiRoutes = [...responseRoutes, ...conversationRoutes, ...conversationItemRoutes];
