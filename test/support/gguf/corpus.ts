/**
 * Text the fixture tokenizers are trained on. Plain English about the things a local model server is asked
 * about, so common words become single tokens and prompts in tests tokenize into realistic counts.
 */
export const trainingCorpus = `
The quick brown fox jumps over the lazy dog. A local language model server answers questions about the world.
You are a helpful assistant. Answer the question in one short sentence. What is the capital of France?
The capital of France is Paris. Tell me about the weather today. It is sunny and warm with a light breeze.
Write a short poem about the sea. The sea is wide and blue, the waves come rolling through.
Explain how a transformer works in machine learning. A transformer reads a sequence of tokens and uses
attention to decide which earlier tokens matter for the next one. Each layer has attention and a feed forward
network. The model predicts the next token, one at a time, until it reaches the end of the sequence.
Translate hello into French. Bonjour. Translate thank you into Spanish. Gracias.
Summarize the following text in three words. Count from one to ten: one, two, three, four, five, six, seven,
eight, nine, ten. The numbers 0 1 2 3 4 5 6 7 8 9 10 100 1000 2024 2025 3.14 42.
What time is it? Where is the nearest train station? How do I cook rice? Boil water, add the rice, wait.
The user asked the assistant to call a function with arguments in JSON. The function returned a result.
{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}} The tool call succeeded.
Please list three colors: red, green and blue. Please list three animals: cat, dog and bird.
Once upon a time there was a small village near a large forest. The people there were kind and they
worked hard every day. In the evening they told stories by the fire and the children listened carefully.
Computers store numbers as bits. Memory, threads and cores decide how fast a program can run.
An embedding is a vector of numbers that represents the meaning of a text. Similar texts have similar vectors.
Search engines compare embeddings to find documents that answer a question.
Good morning! Good night. Yes, no, maybe. I think so. I do not know. Let me check. That is correct.
`;
